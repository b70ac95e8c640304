// A store with every kind of log record, built fast (ingestBatch in 10k batches), and eventdb's own counts of it.

import { EventDB } from '../../src/index.js';
import { jsonBuffer, product } from '../helpers/catalog.js';

export const EVENT_NAMES = ['page_view', 'add_to_cart', 'purchase', 'search', 'login'] as const;
const DAY_MS = 86_400_000;
export const FIRST_DAY_MS = Date.UTC(2026, 0, 1);
export const DAYS = 20;

/** Event `i` of a seeded, deterministic set: profileIds only (no links), so a unified profile is one profileId. */
export function fixtureEvent(i: number, profiles: number): Record<string, unknown> {
  const mix = Math.imul(i + 1, 2654435761) >>> 0;
  return {
    eventId: `x-${i}`,
    profileId: `p${mix % profiles}`,
    sessionId: `s${Math.floor(i / 8)}`,
    ...(i % 4 === 0 ? { accountId: `a${mix % 37}` } : {}),
    eventName: EVENT_NAMES[mix % EVENT_NAMES.length],
    timestamp: new Date(FIRST_DAY_MS + (mix % (DAYS * DAY_MS))).toISOString(),
    data: { amount: mix % 100, path: `/p/${i % 500}` },
  };
}

/** Ingests `events` events plus product payloads, attribute updates and a small catalog feed (every record kind). */
export async function fillStore(db: EventDB, events: number, profiles = 500): Promise<void> {
  const BATCH = 10_000;
  for (let start = 0; start < events; start += BATCH) {
    const batch: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(events, start + BATCH); i++) batch.push(fixtureEvent(i, profiles));
    const result = await db.ingestBatch(batch);
    if (result.rejected.length > 0) throw new Error(`fixture rejected: ${JSON.stringify(result.rejected[0])}`);
  }
  await db.ingestBatch(Array.from({ length: 20 }, (_, i) => ({ productId: `prod-${i}`, timestamp: '2026-01-05T00:00:00Z', data: { price: i + 1 } })));
  for (let i = 0; i < 5; i++) await db.setAttributes({ profileId: `p${i}` }, { set: { plan: 'pro' }, timestamp: '2026-01-06T00:00:00Z', source: 'crm' });
  await db.catalog.importFeed(jsonBuffer([product('f1'), product('f2'), product('f3')]), { format: 'json' });
}

/** eventdb's own answers: behavioural events per eventName, per profile, per UTC day. */
export function eventdbCounts(db: EventDB, profiles = 500): { byName: Map<string, number>; byProfile: Map<string, number>; byDay: Map<string, number> } {
  const byName = new Map<string, number>();
  const byDay = new Map<string, number>();
  for (const name of EVENT_NAMES) {
    const n = db.events({ eventName: name }).toArray().length;
    if (n > 0) byName.set(name, n);
    for (let d = 0; d < DAYS + 1; d++) {
      const from = FIRST_DAY_MS + d * DAY_MS;
      const inDay = db.events({ eventName: name, from, to: from + DAY_MS - 1 }).toArray().length;
      if (inDay === 0) continue;
      const day = new Date(from).toISOString().slice(0, 10);
      byDay.set(day, (byDay.get(day) ?? 0) + inDay);
    }
  }
  const byProfile = new Map<string, number>();
  for (let p = 0; p < profiles; p++) {
    const count = db.getProfile({ profileId: `p${p}` })?.eventCount ?? 0;
    if (count > 0) byProfile.set(`p${p}`, count);
  }
  return { byName, byProfile, byDay };
}
