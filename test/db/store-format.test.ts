// Store formats: a format-2 store (partial states as msgpack records) opens in format 5 and reads the same, beside
// the positional partials written after it; a format-4 store's index chunks are read beside the runs written after
// them; a store of a format newer than this version is refused.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type EventDBOptions } from '../../src/index.js';
import { positionalPartials } from '../../src/projections/partial-codec.js';
import { loadHasher } from '../../src/storage/hash.js';
import { PostingRuns } from '../../src/storage/posting-runs.js';
import type { PartialKindCode } from '../../src/projections/projection-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-format-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS: Omit<EventDBOptions, 'path'> = {
  clock: () => Date.UTC(2026, 5, 1),
  computed: {
    ltv: { op: 'sum', eventName: 'purchase', field: 'amount' },
    lastItem: { op: 'last', eventName: 'purchase', field: 'item' },
  },
};
const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

/** Every kind of partial, with registers of each kind (set, setOnce, unset), accumulators and an account. */
const FIRST = [
  { eventId: 'e1', profileId: 'p1', sessionId: 's1', eventName: 'page_view', timestamp: at(0), pageId: 'home' },
  {
    eventId: 'e2',
    profileId: 'p1',
    userId: 'u1',
    sessionId: 's1',
    eventName: 'purchase',
    timestamp: at(1),
    accountId: 'acme',
    data: { amount: 7.5, item: 'a' },
  },
  {
    eventId: 'e3',
    userId: 'u1',
    sessionId: 's2',
    eventName: 'page_view',
    timestamp: at(2),
    attributes: { set: { plan: 'pro', tags: { a: [1, 2] } }, setOnce: { signup: 'web' } },
  },
  {
    eventId: 'e4',
    userId: 'u1',
    sessionId: 's2',
    eventName: 'login',
    timestamp: at(3),
    attributes: { unset: ['coupon'] },
    accountId: 'acme',
    accountAttributes: { set: { tier: 'gold' } },
  },
  { eventId: 'e5', profileId: 'p2', sessionId: 's3', eventName: 'purchase', timestamp: at(4), data: { amount: 2, item: 'b' } },
];
const LATER = [
  {
    eventId: 'e6',
    userId: 'u1',
    sessionId: 's1',
    eventName: 'purchase',
    timestamp: at(5),
    data: { amount: 1, item: 'c' },
    attributes: { set: { plan: 'team' } },
  },
  { eventId: 'e7', profileId: 'p2', userId: 'u2', sessionId: 's4', eventName: 'page_view', timestamp: at(6), accountId: 'acme' },
];

function reads(db: EventDB): unknown {
  return {
    u1: db.getProfile({ userId: 'u1' }),
    p2: db.getProfile({ profileId: 'p2' }),
    sessions: ['s1', 's2', 's3', 's4'].map((id) => db.getSession(id)),
    acme: db.getAccount('acme'),
  };
}

/** Rewrites every stored partial as format 2 wrote it (msgpack records, shared structures) and marks the store format 2. */
async function downgradeToFormat2(path: string): Promise<number> {
  const root = open({ path, maxDbs: 32 });
  const bytes = root.openDB<Buffer, string>({ name: 'partials', encoding: 'binary' });
  const records = root.openDB<unknown, string>({ name: 'partials', sharedStructuresKey: Symbol.for('structures') });
  const meta = root.openDB({ name: 'meta' });
  let rewritten = 0;
  await root.transaction(() => {
    for (const { key, value } of bytes.getRange()) {
      const partial = positionalPartials.decode(Number(key[4]) as PartialKindCode, value);
      void records.put(key, partial);
      rewritten++;
    }
    void meta.put('format', 2);
  });
  for (const { value } of bytes.getRange()) expect(value[0]! >> 4).not.toBe(0x9); // no longer arrays
  await root.close();
  return rewritten;
}

/** What the indexes answer: every key's events, both directions, and a time window. */
function indexReads(db: EventDB): unknown {
  const ids = (query: Parameters<EventDB['events']>[0]): string[] =>
    db
      .events(query)
      .toArray()
      .map((e) => e.eventId);
  return {
    u1: ids({ userId: 'u1' }),
    u1Reverse: ids({ userId: 'u1', reverse: true }),
    p2: ids({ profileId: 'p2' }),
    sessions: ['s1', 's2', 's3', 's4'].map((sessionId) => ids({ sessionId })),
    acme: ids({ accountId: 'acme' }),
    purchases: ids({ eventName: 'purchase' }),
    window: ids({ eventName: 'page_view', from: at(1), to: at(6) }),
  };
}

/**
 * Rewrites the index runs as format 4 wrote the index — one chunk per key, `[kind][value][0][position u48]` → the
 * key's pairs, in the `postings` tree — and marks the store format 4.
 */
async function downgradeToFormat4(path: string): Promise<number> {
  await loadHasher();
  const root = open({ path, maxDbs: 32 });
  const chunks = root.openDB<Buffer, Buffer>({ name: 'postings', keyEncoding: 'binary', encoding: 'binary' });
  const meta = root.openDB({ name: 'meta' });
  const runs = new PostingRuns(root);
  const position = Buffer.alloc(6);
  position.writeUIntBE(meta.get('checkpoint') as number, 0, 6);
  let rewritten = 0;
  root.transactionSync(() => {
    for (const { kind, value, pairs } of runs.entries()) {
      void chunks.put(Buffer.concat([Buffer.from([kind]), Buffer.from(value), Buffer.from([0]), position]), Buffer.from(pairs));
      rewritten++;
    }
    runs.clear();
    void meta.put('format', 4);
  });
  await root.close();
  return rewritten;
}

/** Removes the index runs' version entry (format 6) and marks the store format 5, as that format wrote it. */
async function downgradeToFormat5(path: string): Promise<void> {
  const root = open({ path, maxDbs: 32 });
  await root.openDB({ name: 'posting-runs', encoding: 'binary' }).remove(0);
  await root.openDB({ name: 'meta' }).put('format', 5);
  await root.close();
}

async function setFormat(path: string, format: number): Promise<void> {
  const root = open({ path, maxDbs: 32 });
  await root.openDB({ name: 'meta' }).put('format', format);
  await root.close();
}

describe('store formats', () => {
  it('a format-2 store reads the same in format 5, and its record partials mix with the positional ones written after', async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(FIRST);
    const before = reads(db);
    await db.close();
    expect(await downgradeToFormat2(dir)).toBe(7); // p1, p2, u1, s1–s3, acme

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(reads(db)).toEqual(before);
    expect((await db.verify()).differences).toEqual([]);
    await db.ingestBatch(LATER);
    const after = reads(db);
    await db.close();

    // The same events into a new store: what the upgraded one must read.
    const fresh = await EventDB.open({ path: join(dir, 'fresh'), ...OPTIONS });
    await fresh.ingestBatch([...FIRST, ...LATER]);
    expect(after).toEqual(reads(fresh));
    await fresh.close();

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(reads(db)).toEqual(after);
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
  });

  it("a format-4 store's index chunks read the same in format 5, beside the runs written after them", async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(FIRST);
    const before = indexReads(db);
    await db.close();
    expect(await downgradeToFormat4(dir)).toBe(10); // owners p1, u1, p2; sessions s1–s3; acme; page_view, purchase, login

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(indexReads(db)).toEqual(before);
    expect((await db.verify()).differences).toEqual([]);
    await db.ingestBatch(LATER);
    await db.close(); // a checkpoint: a run beside the chunks

    const fresh = await EventDB.open({ path: join(dir, 'fresh'), ...OPTIONS });
    await fresh.ingestBatch([...FIRST, ...LATER]);
    const expected = indexReads(fresh);
    await fresh.close();

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(indexReads(db)).toEqual(expected);
    expect((await db.verify()).differences).toEqual([]);
    const rebuilt = await db.rebuild(); // a repair writes the index as runs alone
    expect(rebuilt.differenceCount).toBe(0);
    expect(indexReads(db)).toEqual(expected);
    await db.close();
  });

  it('a format-5 store (index runs without a version entry) reads the same, and its runs are merged with later ones', async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS }, { consolidation: 'off' });
    await db.ingestBatch(FIRST);
    await db.close();
    await downgradeToFormat5(dir);
    const fresh = await EventDB.open({ path: join(dir, 'fresh'), ...OPTIONS });
    await fresh.ingestBatch([...FIRST, ...LATER]);
    const expected = indexReads(fresh);
    await fresh.close();

    db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(LATER);
    await db.close(); // a second run, which the next open merges with the first when it is at least as large
    db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.consolidated();
    expect(indexReads(db)).toEqual(expected);
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
    const root = open({ path: dir, maxDbs: 32, readOnly: true });
    expect(root.openDB({ name: 'meta' }).get('format')).toBe(6);
    await root.close();
  });

  it('refuses a store written in a newer format, and leaves it as it was', async () => {
    const db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(FIRST);
    await db.close();
    await setFormat(dir, 99);
    await expect(EventDB.open({ path: dir, ...OPTIONS })).rejects.toMatchObject({
      code: 'CORRUPT_STORE',
      message: expect.stringMatching(/store format 99, newer/),
    });
    const root = open({ path: dir, maxDbs: 32, readOnly: true });
    expect(root.openDB({ name: 'meta' }).get('format')).toBe(99);
    await root.close();
    // Nothing of the refused open is left behind: marked back, the store opens and reads in this process.
    await setFormat(dir, 3);
    const again = await EventDB.open({ path: dir, ...OPTIONS });
    expect(again.getSession('s1')?.eventCount).toBe(2);
    await again.close();
  });
});
