// A deterministic synthetic event stream: profiles, users, sessions, accounts, duplicates and bad records.

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same stream everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const EVENT_NAMES = [
  'page_view',
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'checkout_started',
  'checkout_completed',
  'product_viewed',
  'search',
  'login',
  'logout',
  'signup',
  'session_start',
  'session_end',
  'click',
  'scroll',
  'form_submit',
  'wishlist_add',
  'coupon_applied',
  'video_play',
  'share',
] as const;

const HEX = '0123456789abcdef';

function hex(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[(rnd() * 16) | 0];
  return s;
}

export interface DatasetOptions {
  seed?: number;
  /** Anonymous devices (profileIds). */
  profiles?: number;
  /** Known users; about half the events carry a userId. */
  users?: number;
  sessions?: number;
  accounts?: number;
  /** Fraction of records that are exact re-sends of an earlier one. */
  duplicateFraction?: number;
  /** Fraction of records that are invalid in some way. */
  badFraction?: number;
  /** Epoch ms of the first event. */
  startMs?: number;
}

/**
 * Generates `n` records shaped like the baseline workload in ../shared/baseline
 * (about 340 bytes of JSON each). Strings are flattened, so whichever consumer
 * reads them first pays no hidden cost.
 */
export function generateEvents(n: number, options: DatasetOptions = {}): Record<string, unknown>[] {
  const rnd = mulberry32(options.seed ?? 42);
  const profiles = options.profiles ?? 100_000;
  const users = options.users ?? 50_000;
  const sessions = options.sessions ?? 500_000;
  const accounts = options.accounts ?? 5_000;
  const dupFraction = options.duplicateFraction ?? 0;
  const badFraction = options.badFraction ?? 0;
  const out = new Array<Record<string, unknown>>(n);
  let t = options.startMs ?? Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    if (dupFraction > 0 && i > 0 && rnd() < dupFraction) {
      out[i] = out[(rnd() * i) | 0]!;
      continue;
    }
    t += (rnd() * 40) | 0;
    const event: Record<string, unknown> = {
      eventId: `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-${hex(rnd, 4)}-${hex(rnd, 12)}`,
      profileId: `prof_${((rnd() * profiles) | 0).toString(36).padStart(5, '0')}`,
      sessionId: `sess_${((rnd() * sessions) | 0).toString(36).padStart(6, '0')}`,
      eventName: EVENT_NAMES[(rnd() * EVENT_NAMES.length) | 0],
      timestamp: new Date(t).toISOString(),
      data: {
        url: `https://shop.example.com/products/${(rnd() * 20000) | 0}?utm_source=newsletter&ref=${hex(rnd, 6)}`,
        productId: `sku-${((rnd() * 20000) | 0).toString().padStart(6, '0')}`,
        price: Math.round(rnd() * 50000) / 100,
        quantity: 1 + ((rnd() * 5) | 0),
      },
    };
    if (rnd() < 0.5) event['userId'] = `user_${((rnd() * users) | 0).toString(36).padStart(4, '0')}`;
    if (rnd() < 0.3) event['accountId'] = `acct_${(rnd() * accounts) | 0}`;
    if (rnd() < 0.6) event['pageId'] = `page_${(rnd() * 2000) | 0}`;
    out[i] = badFraction > 0 && rnd() < badFraction ? spoil(event, rnd) : event;
  }
  // Flatten the concatenated strings once (V8 keeps them as ropes until first read).
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>[];
}

/** Makes a record invalid in one of the ways real instrumentation does. */
function spoil(event: Record<string, unknown>, rnd: () => number): Record<string, unknown> {
  const bad = { ...event };
  switch ((rnd() * 5) | 0) {
    case 0:
      delete bad['sessionId'];
      break;
    case 1:
      bad['timestamp'] = String(bad['timestamp']).replace('Z', '');
      break;
    case 2:
      bad['revenue'] = 12.5;
      break;
    case 3:
      bad['timestamp'] = Date.parse(String(bad['timestamp']));
      break;
    default:
      delete bad['profileId'];
      delete bad['userId'];
  }
  return bad;
}
