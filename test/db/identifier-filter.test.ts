// The identifier filter is stored by each checkpoint and read back at open: a reopened writer must still know every
// identifier, session and account (else it would count them again), whether the filter was stored, missing (a store
// written before filters were stored) or dropped by a repair.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';

/** Events over 40 profiles, 20 users, 60 sessions and 5 accounts; `round` gives fresh eventIds for the same ids. */
function events(round: number, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    eventId: `r${round}-${i}`,
    profileId: `p${i % 40}`,
    ...(i % 3 === 0 ? { userId: `u${i % 20}` } : {}),
    sessionId: `s${i % 60}`,
    ...(i % 4 === 0 ? { accountId: `a${i % 5}` } : {}),
    eventName: 'view',
    timestamp: new Date(Date.UTC(2026, 0, 1) + round * 3_600_000 + i * 1000).toISOString(),
  }));
}

/** The counts a second sighting of an id must not change. */
const counts = (db: EventDB): { profiles: number; sessions: number; accounts: number } => {
  const { profiles, sessions, accounts } = db.stats();
  return { profiles, sessions, accounts };
};
let expected: ReturnType<typeof counts>;

/** Sets every bit of the stored filters (not the header), read with lmdb directly while the store is closed: each id is then a maybe. */
async function saturateStoredFilters(dir: string): Promise<void> {
  const root = open({ path: dir, maxDbs: 32 });
  const tree = root.openDB<Buffer, number>({ name: 'identifier-filter', encoding: 'binary' });
  for (const { key, value } of tree.getRange({ start: 1 })) await tree.put(key, Buffer.alloc(value.length, 0xff));
  await root.close();
}

/** The identifier-filter tree's entries (header and filters), read with lmdb directly while the store is closed. */
async function storedFilterEntries(dir: string, remove = false): Promise<number> {
  const root = open({ path: dir, maxDbs: 32 });
  const tree = root.openDB({ name: 'identifier-filter', encoding: 'binary' });
  const count = tree.getKeysCount();
  if (remove) await tree.clearAsync();
  await root.close();
  return count;
}

let dir: string;
let db: EventDB | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Reopens the store, ingests the same ids again under new eventIds, and checks nothing was counted twice. */
async function reopenAndRecount(round: number): Promise<void> {
  db = await EventDB.open({ path: dir, checkpoint: { records: 50 } });
  await db.ingestBatch(events(round, 300));
  expect(counts(db)).toEqual(expected);
  expect((await db.verify()).differences).toEqual([]);
  await db.close();
  db = undefined;
}

describe('the stored identifier filter', () => {
  it('keeps every identifier known across reopens, a store without it, and a repair', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-idfilter-'));
    db = await EventDB.open({ path: dir, checkpoint: { records: 50 } });
    for (let i = 0; i < 3; i++) await db.ingestBatch(events(0, 300).slice(i * 100, i * 100 + 100));
    expected = counts(db);
    expect(expected).toMatchObject({ sessions: 60, accounts: 5 });
    await db.close();
    db = undefined;
    // Stored by the checkpoints (header and one filter), read back by the next open.
    expect(await storedFilterEntries(dir)).toBe(2);
    await reopenAndRecount(1);
    // A store without it (written before filters were stored): rebuilt from the identifiers, stored again at close.
    await storedFilterEntries(dir, true);
    await reopenAndRecount(2);
    expect(await storedFilterEntries(dir)).toBe(2);
    // A repair removes it (the identifiers were rewritten); the writer refills its filter and stores it again.
    db = await EventDB.open({ path: dir, checkpoint: { records: 50 } });
    await db.rebuild();
    await db.ingestBatch(events(3, 300));
    expect(counts(db)).toEqual(expected);
    await db.close();
    db = undefined;
    await reopenAndRecount(4);
  });

  it('keeps an id first seen after the checkpoint known when the recovery replays it and the filter says maybe', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-idfilter-'));
    db = await EventDB.open({ path: dir });
    await db.ingestBatch(events(0, 300));
    await db.close();
    // A tail with new ids, lost from memory as a crash would lose it: the recovery replays it from the log.
    db = await EventDB.open({ path: dir, checkpoint: { idleMs: 0 } }, { checkpointAtClose: false });
    await db.ingestBatch([{ ...events(1, 1)[0], profileId: 'fresh-p', userId: 'fresh-u', sessionId: 'fresh-s' }]);
    const before = counts(db);
    await db.close();
    // Every stored filter full: each id of the tail is a maybe, as a false positive would make one.
    await saturateStoredFilters(dir);
    for (let round = 0; round < 2; round++) {
      db = await EventDB.open({ path: dir });
      expect(db.getProfile({ userId: 'fresh-u' })?.profileIds).toEqual(['fresh-p']);
      expect(db.getProfile({ profileId: 'fresh-p' })?.id).toBe('fresh-u');
      expect(db.getSession('fresh-s')?.eventCount).toBe(1);
      expect(counts(db)).toEqual(before);
      expect((await db.verify()).differences).toEqual([]);
      // The second round reads what the first one's checkpoint at close wrote.
      await db.close();
      db = undefined;
    }
  });

  it('answers a maybe for a session from the index: sessions keep no identifier entry', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-idfilter-'));
    db = await EventDB.open({ path: dir, checkpoint: { records: 50 } });
    await db.ingestBatch(events(0, 300));
    expected = counts(db);
    await db.close();
    await saturateStoredFilters(dir);
    db = await EventDB.open({ path: dir, checkpoint: { records: 50 } });
    // Known sessions (stored in index runs, and in the window once this batch passes a checkpoint) and new ones,
    // twice each in the batch: every lookup is a maybe, answered by the events before the one folded.
    const fresh = ['new-1', 'new-2', 'new-3'];
    const batch = events(1, 120).map((event, i) => (i % 40 === 0 ? { ...event, sessionId: fresh[i / 40] } : event));
    await db.ingestBatch([...batch, ...events(2, 3).map((event, i) => ({ ...event, sessionId: fresh[i] }))]);
    expect(counts(db)).toEqual({ ...expected, sessions: expected.sessions + 3 });
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
    db = undefined;
    const root = open({ path: dir, maxDbs: 32 });
    const kinds = new Set([...root.openDB<number, string>({ name: 'identifiers' }).getKeys()].map((key) => key[0]));
    await root.close();
    expect([...kinds].sort()).toEqual(['1', '2', '4']);
  });
});
