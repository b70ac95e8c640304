// Checkpoints issued while an earlier one is still committing: nothing the earlier one holds may be missed.

import { afterEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';

const event = (eventId: string, minute: number): Record<string, unknown> => ({
  eventId,
  profileId: `p${minute % 3}`,
  sessionId: `s${minute % 2}`,
  eventName: 'view',
  timestamp: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString(),
});

let db: EventDB | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('checkpoints back to back', () => {
  it('keep dedupe exact and reads whole when calls checkpoint before the previous checkpoint commits', async () => {
    // A checkpoint after every record: the three calls below are staged in one turn, before any of them commits.
    db = await EventDB.open({ inMemory: true, checkpoint: { records: 1 } });
    const calls = [
      db.ingestBatch([event('a', 1), event('b', 2)]),
      db.ingestBatch([event('c', 3)]),
      db.ingestBatch([event('a', 1), event('d', 4), event('b', 2)]),
    ];
    const [first, second, third] = await Promise.all(calls);
    expect(first!.accepted + second!.accepted).toBe(3);
    expect(third).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(db.stats()).toMatchObject({ records: 4, events: 4, duplicates: 2 });
    expect(
      db
        .events({ eventName: 'view' })
        .map((e) => e.eventId)
        .toArray(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect((await db.verify()).differences).toEqual([]);
  });
});
