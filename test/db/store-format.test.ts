// Store formats: a format-2 store (partial states as msgpack records) opens in format 5 and reads the same, beside
// the positional partials written after it; a format-4 store's index chunks are read beside the runs written after
// them; a format-6 store's dedupe runs (plain filters, segments) are read, and merged, beside the runs written
// after them; a store of a format newer than this version is refused.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type EventDBOptions, type Profile } from '../../src/index.js';
import { positionalPartials } from '../../src/projections/partial-codec.js';
import { loadHasher } from '../../src/storage/hash.js';
import { BloomFilter, bloomBitsFor } from '../../src/storage/bloom.js';
import { PostingRuns } from '../../src/storage/posting-runs.js';
import type { PartialKindCode } from '../../src/projections/projection-store.js';
import type { NameCounts } from '../../src/projections/name-counts.js';
import type { IdentifierPartial } from '../../src/projections/partials.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-format-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The format this version writes (src/storage/storage.ts). */
const STORE_FORMAT = 16;

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

/** The same events (FIRST, then LATER) into a new store: what an upgraded one must read. */
async function readsOfFresh(): Promise<unknown> {
  const fresh = await EventDB.open({ path: join(dir, 'fresh'), ...OPTIONS });
  await fresh.ingestBatch([...FIRST, ...LATER]);
  const out = reads(fresh);
  await fresh.close();
  return out;
}

/** `[name, count, …]` as pairs. */
function namePairs(counts: NameCounts): [string, number][] {
  return Array.from({ length: counts.length / 2 }, (_, i) => [counts[i * 2] as string, counts[i * 2 + 1] as number]);
}

/**
 * Rewrites every identifier's counts per eventName, in its partials and states, as formats 3 to 7 wrote them: a flat
 * list in the order the names were first counted (here the reverse of sorted). Returns how many lists had two or more.
 */
async function unsortNameCounts(path: string): Promise<number> {
  const root = open({ path, maxDbs: 32 });
  let reordered = 0;
  await root.transaction(() => {
    for (const name of ['partials', 'states']) {
      const tree = root.openDB<Buffer, string>({ name, encoding: 'binary' });
      for (const { key, value } of tree.getRange()) {
        const kind = Number(name === 'partials' ? key[4] : key[0]) as PartialKindCode;
        if (kind > 2) continue;
        // A partial's value may hold several deltas back to back (format 16): each is rewritten.
        const rewritten = (positionalPartials.decodeEach(kind, value) as IdentifierPartial[]).map((partial) => {
          if (partial.names.length >= 4) reordered++;
          partial.names = namePairs(partial.names).reverse().flat();
          return Buffer.from(positionalPartials.encode(kind, partial));
        });
        void tree.put(key, Buffer.concat(rewritten));
      }
    }
  });
  await root.close();
  return reordered;
}

/**
 * Moves each user's profileIds back to one `members` entry per pair, as formats 1 to 7 kept them, and marks the
 * store format 7. Returns the pairs.
 */
async function downgradeToFormat7(path: string): Promise<number> {
  const root = open({ path, maxDbs: 32 });
  const users = root.openDB<string, string>({ name: 'user-members', encoding: 'string' });
  const pairs = root.openDB<Buffer, [string, string]>({ name: 'members', encoding: 'binary' });
  let count = 0;
  root.transactionSync(() => {
    for (const { key, value } of users.getRange()) {
      for (const profileId of value.split('\u0000')) {
        pairs.putSync([key, profileId], Buffer.alloc(0));
        count++;
      }
    }
    users.clearSync();
    root.openDB({ name: 'meta' }).putSync('format', 7);
  });
  await root.close();
  return count;
}

/** Rewrites every stored partial as format 2 wrote it (msgpack records, shared structures) and marks the store format 2. */
async function downgradeToFormat2(path: string): Promise<number> {
  await downgradeToFormat7(path);
  const root = open({ path, maxDbs: 32 });
  const bytes = root.openDB<Buffer, string>({ name: 'partials', encoding: 'binary' });
  const records = root.openDB<unknown, string>({ name: 'partials', sharedStructuresKey: Symbol.for('structures') });
  const meta = root.openDB({ name: 'meta' });
  let rewritten = 0;
  await root.transaction(() => {
    for (const { key, value } of bytes.getRange()) {
      const kind = Number(key[4]) as PartialKindCode;
      const partial = positionalPartials.decode(kind, value) as { names?: unknown };
      // Format 2 kept an identifier's counts per eventName as a record, its keys in the order they were added.
      if (kind <= 2) partial.names = Object.fromEntries(namePairs(partial.names as NameCounts).reverse());
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
  await downgradeToFormat7(path);
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
/**
 * Rewrites the dedupe runs as format 6 kept them: each run's filter entry `[count u32][plain Bloom filter]`, no
 * version entry, and a segment filter stored (its content does not matter: format 7 drops it). Returns the runs.
 */
async function downgradeToFormat6(path: string): Promise<number> {
  await downgradeToFormat7(path);
  const root = open({ path, maxDbs: 32 });
  const blocks = root.openDB<Buffer, Buffer>({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' });
  const filters = root.openDB<Buffer, number>({ name: 'dedupe-filters', encoding: 'binary' });
  const segments = root.openDB<Buffer, number>({ name: 'dedupe-segments', encoding: 'binary' });
  const positions = [...filters.getKeys({ start: 1 })];
  root.transactionSync(() => {
    for (const position of positions) {
      const start = Buffer.alloc(14);
      start.writeUIntBE(position, 0, 6);
      const end = Buffer.alloc(14);
      end.writeUIntBE(position + 1, 0, 6);
      const hashes: [number, number][] = [];
      for (const { value } of blocks.getRange({ start, end }))
        for (let at = 0; at < value.length; at += 14) hashes.push([value.readUInt32BE(at), value.readUInt32BE(at + 4)]);
      const filter = new BloomFilter(bloomBitsFor(hashes.length));
      for (const [hi, lo] of hashes) filter.add(hi, lo);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(hashes.length);
      filters.putSync(position, Buffer.concat([header, filter.toBuffer()]));
    }
    filters.removeSync(0);
    segments.putSync(positions.at(-1)!, Buffer.alloc(8 + 128));
    root.openDB({ name: 'meta' }).putSync('format', 6);
  });
  await root.close();
  return positions.length;
}

async function downgradeToFormat5(path: string): Promise<void> {
  await downgradeToFormat6(path);
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
    expect(await downgradeToFormat2(dir)).toBe(4); // p1, p2, u1, acme (sessions keep no state)

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(reads(db)).toEqual(before);
    expect((await db.verify()).differences).toEqual([]);
    await db.ingestBatch(LATER);
    const after = reads(db);
    await db.close();

    expect(after).toEqual(await readsOfFresh());

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(reads(db)).toEqual(after);
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
  });

  it('counts per eventName stored in the order they were first counted (formats 3 to 7) read, merge and verify as sorted ones', async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS }, { consolidation: 'off' });
    await db.ingestBatch(FIRST);
    await db.close();
    db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.consolidated(); // the first generation's partials move into states
    await db.ingestBatch(LATER.slice(0, 1));
    const before = reads(db);
    await db.close();
    expect(await unsortNameCounts(dir)).toBeGreaterThan(0);

    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(reads(db)).toEqual(before);
    expect(Object.keys((reads(db) as { u1: Profile }).u1.eventCounts)).toEqual(Object.keys((before as { u1: Profile }).u1.eventCounts).sort());
    expect((await db.verify()).differences).toEqual([]);
    await db.ingestBatch(LATER);
    await db.consolidated();
    const after = reads(db);
    await db.close();
    expect(after).toEqual(await readsOfFresh());
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
    expect(root.openDB({ name: 'meta' }).get('format')).toBe(STORE_FORMAT);
    await root.close();
  });

  it("a format-6 store's dedupe runs (plain filters, segments) find every event, and merge with the runs written after", async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS }, { consolidation: 'off' });
    await db.ingestBatch(FIRST.slice(0, 1));
    await db.close();
    db = await EventDB.open({ path: dir, ...OPTIONS }, { consolidation: 'off' });
    await db.ingestBatch(FIRST.slice(1, 2));
    await db.close();
    expect(await downgradeToFormat6(dir)).toBe(2);

    db = await EventDB.open({ path: dir, ...OPTIONS });
    for (const event of FIRST.slice(0, 2)) expect(db.getEvent(event.eventId)?.eventName).toBe(event.eventName);
    expect(await db.ingestBatch(FIRST)).toMatchObject({ accepted: 3, duplicates: 2 });
    await db.ingestBatch(LATER);
    await db.close(); // a third run, written in format 7, at least as large as the two before: the three merge
    db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.consolidated();
    const { storage } = db as unknown as { storage: { dedupeRuns: { runCount: number; merges: number } } };
    expect(storage.dedupeRuns.merges).toBeGreaterThan(0);
    expect(storage.dedupeRuns.runCount).toBe(1);
    for (const event of [...FIRST, ...LATER]) expect(db.getEvent(event.eventId)?.eventName).toBe(event.eventName);
    expect(await db.ingestBatch([...FIRST, ...LATER])).toMatchObject({ accepted: 0, duplicates: FIRST.length + LATER.length });
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
    const root = open({ path: dir, maxDbs: 32, readOnly: true });
    expect(root.openDB({ name: 'meta' }).get('format')).toBe(STORE_FORMAT);
    expect(root.openDB({ name: 'dedupe-segments', encoding: 'binary' }).getKeysCount()).toBe(0);
    await root.close();
  });

  it("a format-7 store's member pairs move to one entry per user at the first writer open (a reader before it reads the pairs)", async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(FIRST);
    await db.ingestBatch(LATER);
    const before = reads(db);
    await db.close();
    expect(await downgradeToFormat7(dir)).toBe(2); // p1 homed at u1, p2 at u2

    const reader = await EventDB.open({ path: dir, ...OPTIONS, readOnly: true });
    expect(reads(reader)).toEqual(before);
    await reader.close();
    db = await EventDB.open({ path: dir, ...OPTIONS });
    expect(reads(db)).toEqual(before);
    expect((await db.verify()).differences).toEqual([]);
    await db.ingestBatch([{ eventId: 'e-late', profileId: 'p9', userId: 'u1', sessionId: 's9', eventName: 'login', timestamp: at(30) }]);
    expect(db.getProfile({ userId: 'u1' })?.profileIds).toEqual(['p1', 'p9']);
    expect(db.getProfile({ profileId: 'p2' })?.id).toBe('u2');
    await db.close();
    const root = open({ path: dir, maxDbs: 32, readOnly: true });
    expect(root.openDB({ name: 'meta' }).get('format')).toBe(STORE_FORMAT);
    expect(root.openDB({ name: 'members', encoding: 'binary' }).getKeysCount()).toBe(0);
    expect(root.openDB<string, string>({ name: 'user-members', encoding: 'string' }).get('u1')).toBe('p1\u0000p9');
    await root.close();
  });

  it("a format-13 store's session partials and states go at the first writer open; its sessions read the same before and after", async () => {
    let db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(FIRST);
    await db.close();
    // What format 13 kept for a session: a partial in its generation and, once consolidated, a state (here with a
    // count no log implies, so reading either would show).
    const root = open({ path: dir, maxDbs: 32 });
    const session = {
      first: Date.parse(at(0)),
      last: Date.parse(at(1)),
      count: 99,
      pages: ['home'],
      owners: ['p:p1'],
      firstEvent: { t: Date.parse(at(0)), e: 'e1', o: 'p:p1' },
    };
    const bytes = Buffer.from(positionalPartials.encode(3, session));
    await root.openDB<Buffer, string>({ name: 'partials', encoding: 'binary' }).put('00003s1', bytes);
    await root.openDB<Buffer, string>({ name: 'states', encoding: 'binary' }).put('3s2', bytes);
    await root.openDB({ name: 'meta' }).put('format', 13);
    await root.close();

    const reader = await EventDB.open({ path: dir, ...OPTIONS, readOnly: true });
    expect(reader.getSession('s1')).toMatchObject({ eventCount: 2, pages: ['home'] });
    await reader.close();
    db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(LATER);
    expect(reads(db)).toEqual(await readsOfFresh());
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
    const after = open({ path: dir, maxDbs: 32, readOnly: true });
    expect([...after.openDB<Buffer, string>({ name: 'partials', encoding: 'binary' }).getKeys()].filter((key) => key[4] === '3')).toEqual([]);
    expect([...after.openDB<Buffer, string>({ name: 'states', encoding: 'binary' }).getKeys()].filter((key) => key.startsWith('3'))).toEqual([]);
    expect(after.openDB({ name: 'meta' }).get('format')).toBe(STORE_FORMAT);
    await after.close();
  });

  it("a format-14 store's session identifiers are left unread: its sessions are known from the index, counted once", async () => {
    const fresh = await EventDB.open({ path: join(dir, 'fresh-counts'), ...OPTIONS });
    await fresh.ingestBatch([...FIRST, ...LATER]);
    const { sessions } = fresh.stats();
    await fresh.close();
    let db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(FIRST);
    await db.close();
    // What format 14 kept for a session: an identifier entry. The filter goes too, so the open refills it.
    const root = open({ path: dir, maxDbs: 32 });
    const identifiers = root.openDB<number, string>({ name: 'identifiers' });
    for (const { sessionId } of FIRST) await identifiers.put(`3${sessionId}`, 1);
    await root.openDB({ name: 'identifier-filter', encoding: 'binary' }).clearAsync();
    await root.openDB({ name: 'meta' }).put('format', 14);
    await root.close();

    db = await EventDB.open({ path: dir, ...OPTIONS });
    await db.ingestBatch(LATER);
    expect(reads(db)).toEqual(await readsOfFresh());
    expect(db.stats().sessions).toBe(sessions);
    expect((await db.verify()).differences).toEqual([]);
    await db.close();
    const after = open({ path: dir, maxDbs: 32, readOnly: true });
    expect(after.openDB({ name: 'meta' }).get('format')).toBe(STORE_FORMAT);
    await after.close();
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
    // A read-only handle refuses it as well, rather than misread what it does not know.
    await expect(EventDB.open({ path: dir, ...OPTIONS, readOnly: true })).rejects.toMatchObject({
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
