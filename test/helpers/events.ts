// Small builders of records for tests.

let counter = 0;

/** A valid behavioural event; fields can be overridden or removed (set to undefined). */
export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    eventId: `evt-${counter}`,
    profileId: 'p1',
    sessionId: 's1',
    eventName: 'page_view',
    timestamp: '2026-01-01T10:00:00Z',
    ...overrides,
  };
}

/** ISO timestamp `minutes` after 2026-01-01T10:00:00Z. */
export function at(minutes: number): string {
  return new Date(Date.UTC(2026, 0, 1, 10, minutes)).toISOString();
}

/** Seeded shuffle (mulberry32), so failures can be replayed. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
