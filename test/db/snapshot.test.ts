// Reads during a long ingest see a consistent snapshot: a batch is visible entirely or not at all, in every read.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';

let db: EventDB;
beforeAll(async () => {
  db = await EventDB.open({ inMemory: true });
});
afterAll(() => db.close());

describe('reads during an ingest', () => {
  it('see each batch wholly or not at all, in the log, the index and the profile', async () => {
    const batches = 6;
    const size = 5_000;
    const observed = new Set<string>();
    let done = false;
    const reader = (async () => {
      while (!done) {
        const stats = db.stats();
        const indexed = db.events({ profileId: 'snap' }).toArray().length;
        const profile = db.getProfile({ profileId: 'snap' })?.eventCount ?? 0;
        observed.add(`${stats.events}/${indexed}/${profile}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let b = 0; b < batches; b++) {
      const batch = Array.from({ length: size }, (_, i) => ({
        eventId: `snap-${b}-${i}`,
        profileId: 'snap',
        sessionId: `s${b}`,
        eventName: 'view',
        timestamp: new Date(Date.UTC(2026, 0, 1) + b * size + i).toISOString(),
      }));
      await db.ingestBatch(batch);
    }
    done = true;
    await reader;
    expect(observed.size).toBeGreaterThan(1);
    for (const state of observed) {
      const [events, indexed, profile] = state.split('/').map(Number) as [number, number, number];
      expect(events % size, state).toBe(0);
      expect(indexed, state).toBe(events);
      expect(profile, state).toBe(events);
    }
  });
});
