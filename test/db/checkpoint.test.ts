// Checkpoints issued while an earlier one is still committing: nothing the earlier one holds may be missed. And the
// checkpoint a writer writes once it is idle.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { positionalPartials } from '../../src/projections/partial-codec.js';

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

describe('idle checkpoints', () => {
  const checkpointOf = (store: EventDB): number => store['storage'].checkpointPosition();

  it('checkpoint the records waiting once the writer is quiet, so a reopen after a crash replays none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-idle-'));
    try {
      // Closed without its final checkpoint, as a crash would leave it; 2 records are the idle floor (2% of 100).
      db = await EventDB.open({ path: dir, checkpoint: { records: 100, idleMs: 40 } }, { checkpointAtClose: false });
      await db.ingestBatch([event('a', 1), event('b', 2), event('c', 3)]);
      expect(checkpointOf(db)).toBe(0);
      for (let waited = 0; checkpointOf(db) === 0 && waited < 5_000; waited += 20) await sleep(20);
      expect(checkpointOf(db)).toBe(3);
      // One record is below the floor: it stays in the tail however long the writer idles.
      await db.ingest(event('d', 4));
      await sleep(200);
      expect(checkpointOf(db)).toBe(3);
      await db.close();
      db = await EventDB.open({ path: dir, checkpoint: { idleMs: 0 } });
      expect(checkpointOf(db)).toBe(3);
      expect(db.getProfile({ profileId: 'p1' })?.eventCount).toBe(2);
      expect((await db.verify()).differences).toEqual([]);
      // idleMs 0: no checkpoint however long the writer idles.
      await db.ingestBatch([event('e', 5), event('f', 6), event('g', 7)]);
      await sleep(200);
      expect(checkpointOf(db)).toBe(3);
    } finally {
      await db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a replay after a crash', () => {
  it('folds the tail onto the stored partials: reads, the writer and the next checkpoint see whole profiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-replay-'));
    const profile = (store: EventDB, id: string): unknown => {
      const found = store.getProfile({ profileId: id });
      return found && { eventCount: found.eventCount, sessionCount: found.sessionCount, name: found.attributes['name']?.value };
    };
    const named = (eventId: string, minute: number, name: string): Record<string, unknown> => ({ ...event(eventId, minute), attributes: { set: { name } } });
    const reopen = async (records = 1_000): Promise<EventDB> => {
      await db!.close();
      return EventDB.open({ path: dir, checkpoint: { records, idleMs: 0 } }, { checkpointAtClose: false });
    };
    try {
      // p0 and p1 have partials in LMDB at the checkpoint (3 records); the 4 after it are the tail a crash leaves.
      db = await EventDB.open({ path: dir, checkpoint: { records: 3, idleMs: 0 } }, { checkpointAtClose: false });
      await db.ingestBatch([event('a', 0), named('b', 1, 'early'), event('c', 4)]);
      db = await reopen();
      await db.ingestBatch([event('d', 3), named('e', 7, 'late'), event('f', 9), event('g', 11)]);
      expect(db['storage'].checkpointPosition()).toBe(3);
      const whole = { p0: profile(db, 'p0'), p1: profile(db, 'p1'), p2: profile(db, 'p2') };
      expect(whole).toEqual({
        p0: { eventCount: 3, sessionCount: 2, name: undefined },
        p1: { eventCount: 3, sessionCount: 2, name: 'late' },
        p2: { eventCount: 1, sessionCount: 1, name: undefined },
      });
      // Replayed: the reads join LMDB's partials with the tail's, and so does verify.
      db = await reopen(1);
      expect({ p0: profile(db, 'p0'), p1: profile(db, 'p1'), p2: profile(db, 'p2') }).toEqual(whole);
      expect((await db.verify()).differences).toEqual([]);
      // The writer folds into a replayed profile (p1); the checkpoint in its call joins the others (p0) with LMDB's.
      await db.ingest(named('h', 13, 'latest'));
      db = await reopen();
      expect(db['storage'].checkpointPosition()).toBe(8);
      expect(profile(db, 'p0')).toEqual(whole.p0);
      expect(profile(db, 'p1')).toEqual({ eventCount: 4, sessionCount: 2, name: 'latest' });
      expect((await db.verify()).differences).toEqual([]);
    } finally {
      await db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a key's deltas", () => {
  /** The stored value of profileId `id`'s partial in generation 0, as the partials it holds back to back. */
  const storedDeltas = (store: EventDB, id: string): { bytes: number; deltas: number } => {
    const partials = store['storage'].derived['partials'] as { getBinary(key: string): Buffer | undefined };
    const key = [...(store['storage'].derived['partials'] as { getKeys(): Iterable<string> }).getKeys()].find((text) => text.endsWith(`1${id}`))!;
    const value = partials.getBinary(key)!;
    return { bytes: value.length, deltas: positionalPartials.decodeEach(1, value).length };
  };
  const oneProfile = (count: number): Record<string, unknown>[] =>
    Array.from({ length: count }, (_, i) => ({
      eventId: `e${i}`,
      profileId: 'p1',
      sessionId: `s${i % 4}`,
      eventName: i % 3 === 0 ? 'purchase' : 'view',
      timestamp: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(),
      data: { amount: i },
      attributes: { set: { plan: `plan${i}` }, setOnce: { first: `first${i}` } },
    }));
  const computed = { spent: { op: 'sum', eventName: 'purchase', field: 'amount' } } as const;

  it('are appended by each checkpoint of a generation, and a read, verify and a reopen merge them', async () => {
    const events = oneProfile(6);
    const whole = await EventDB.open({ inMemory: true, computed });
    await whole.ingestBatch(events);
    const expected = whole.getProfile({ profileId: 'p1' });
    await whole.close();

    const dir = mkdtempSync(join(tmpdir(), 'eventdb-deltas-'));
    try {
      db = await EventDB.open({ path: dir, computed, checkpoint: { records: 1 } });
      // Out of time order, one call (and one checkpoint) each.
      for (const index of [3, 0, 5, 1, 4, 2]) await db.ingestBatch([events[index]!]);
      expect(storedDeltas(db, 'p1').deltas).toBe(6);
      expect(db.getProfile({ profileId: 'p1' })).toEqual(expected);
      expect((await db.verify()).differences).toEqual([]);
      await db.close();
      db = await EventDB.open({ path: dir, computed });
      expect(db.getProfile({ profileId: 'p1' })).toEqual(expected);
    } finally {
      await db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stay bounded in number and bytes when a key is touched by many checkpoints (a quiet writer's)", async () => {
    const events = oneProfile(300);
    db = await EventDB.open({ inMemory: true, computed, checkpoint: { records: 1 } });
    let largest = 0;
    let most = 0;
    for (const e of events) {
      await db.ingestBatch([e]);
      const stored = storedDeltas(db, 'p1');
      largest = Math.max(largest, stored.bytes);
      most = Math.max(most, stored.deltas);
    }
    // Merged into one partial once past 1 KiB: never more than that and one more delta (each under 500 bytes here).
    expect(largest).toBeLessThan(1024 + 500);
    expect(most).toBeLessThanOrEqual(10);
    const profile = db.getProfile({ profileId: 'p1' })!;
    expect(profile).toMatchObject({ eventCount: 300, sessionCount: 4, attributes: { plan: { value: 'plan299' }, first: { value: 'first0' } } });
    expect(profile.computed).toEqual({
      spent: events.filter((e) => e['eventName'] === 'purchase').reduce((sum, e) => sum + (e['data'] as { amount: number }).amount, 0),
    });
    expect((await db.verify()).differences).toEqual([]);
  });
});
