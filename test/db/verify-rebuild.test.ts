// verify() names each kind of tampered stored state, rebuild() repairs all of it in one LMDB transaction, and
// verify() is clean after; log gaps are reported as unrepairable.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type VerifyReport } from '../../src/index.js';
import { jsonBuffer, product } from '../helpers/catalog.js';
import { positionalPartials } from '../../src/projections/partial-codec.js';
import { PartialKind } from '../../src/projections/projection-store.js';
import type { AccountPartial } from '../../src/projections/partials.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-verify-rebuild-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CLOCK = (): number => Date.UTC(2026, 0, 5);
const ev = (eventId: string, minute: number, fields: Record<string, unknown>): Record<string, unknown> => ({
  eventId,
  sessionId: 's1',
  eventName: 'page_view',
  timestamp: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString(),
  ...fields,
});

/** Events with a linked profile (p1 → u1), an anonymous one (p2), an account, attributes and a catalog. */
async function seed(path: string): Promise<void> {
  const db = await EventDB.open({ path, clock: CLOCK });
  await db.ingestBatch([
    ev('e1', 0, { profileId: 'p1' }),
    ev('e2', 1, { profileId: 'p1', userId: 'u1', eventName: 'login', accountId: 'acme' }),
    ev('e3', 2, { profileId: 'p2', sessionId: 's2', eventName: 'purchase' }),
    ev('e4', 3, { userId: 'u1', sessionId: 's3' }),
  ]);
  await db.setAttributes({ userId: 'u1' }, { set: { plan: 'pro' }, eventId: 'a1', timestamp: '2026-01-01T11:00:00Z' });
  await db.catalog.importFeed(jsonBuffer([product('a', { category: 'shoes', price: 3 }), product('b', { category: 'hats' })]));
  await db.ingest({ productId: 'c', timestamp: '2026-01-02T00:00:00Z', data: { title: 'C', brand: 'Acme' } });
  await db.close();
}

interface Trees {
  root: RootDatabase;
  log: Database;
  /** Dedupe runs: [run position u48][first hash u64] → blocks of (hash u64, seq u48). */
  dedupe: Database<Buffer, Buffer>;
  /** Dedupe run filters: run position → [entry count u32][Bloom bits]. */
  dedupeFilters: Database<Buffer, number>;
  /** Index runs' blocks: [run position u48][block u32] → entries [kind u8][value length u16][value][pairs length u32][pairs]. */
  runBlocks: Database<Buffer, Buffer>;
  /** Index chunks (format 4 and older; still read): [kind u8][value][0][checkpoint position u48] → (time+2^46 u64, seq u48) pairs. */
  index: Database<Buffer, Buffer>;
  meta: Database;
  partials: Database<Buffer, string>;
  links: Database;
  members: Database<string, string>;
  identifiers: Database<number, string>;
  catalogEntries: Database;
}

/** Edits the store's LMDB trees directly, as a bug or a manual edit would (names and encodings as in storage.ts). */
async function tamper(path: string, edit: (trees: Trees) => Promise<void>): Promise<void> {
  const root = open({ path, maxDbs: 20 });
  const structures = { sharedStructuresKey: Symbol.for('structures') };
  await edit({
    root,
    log: root.openDB({ name: 'log', ...structures }),
    dedupe: root.openDB({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' }),
    dedupeFilters: root.openDB({ name: 'dedupe-filters', encoding: 'binary' }),
    runBlocks: root.openDB({ name: 'posting-blocks', keyEncoding: 'binary', encoding: 'binary' }),
    index: root.openDB({ name: 'postings', keyEncoding: 'binary', encoding: 'binary' }),
    meta: root.openDB({ name: 'meta' }),
    partials: root.openDB({ name: 'partials', encoding: 'binary' }),
    links: root.openDB({ name: 'links', ...structures }),
    members: root.openDB({ name: 'user-members', encoding: 'string' }),
    identifiers: root.openDB({ name: 'identifiers' }),
    catalogEntries: root.openDB({ name: 'catalogEntries', ...structures }),
  });
  await root.close();
}

/** What a user reads of the seeded store. */
function reads(db: EventDB): unknown {
  const { bytesOnDisk: _bytes, ...stats } = db.stats();
  return {
    stats,
    u1: db.getProfile('u1'),
    p2: db.getProfile('p2'),
    account: db.getAccount('acme'),
    session: db.getSession('s1'),
    byUser: db
      .events({ userId: 'u1' })
      .toArray()
      .map((e) => e.eventId),
    byName: db
      .events({ eventName: 'page_view' })
      .toArray()
      .map((e) => e.eventId),
    events: ['e1', 'e2', 'e3', 'e4', 'a1'].map((id) => db.getEvent(id)?.seq),
    catalog: ['a', 'b', 'c'].map((id) => db.catalog.get(id)),
    shoes: db.catalog.query({ category: 'shoes' }).items.map((e) => e.id),
  };
}

async function readsOfSeed(): Promise<unknown> {
  const db = await EventDB.open({ path: dir, clock: CLOCK });
  try {
    expect((await db.verify()).ok).toBe(true);
    return reads(db);
  } finally {
    await db.close();
  }
}

function messagesOf(report: VerifyReport, kind: string): string {
  return report.differences
    .filter((d) => d.kind === kind)
    .map((d) => d.message)
    .join('\n');
}

/** Opens the tampered store, checks verify names the damage, rebuilds, and checks verify is clean and reads are right. */
async function expectRepaired(expectedReads: unknown, kind: string, message: RegExp, readsWrong?: (db: EventDB) => void): Promise<void> {
  const db = await EventDB.open({ path: dir, clock: CLOCK });
  try {
    const before = await db.verify();
    expect(before.ok).toBe(false);
    expect(messagesOf(before, kind)).toMatch(message);
    readsWrong?.(db);
    const rebuilt = await db.rebuild();
    expect(rebuilt).toMatchObject({ ok: false, repaired: true });
    expect(messagesOf(rebuilt, kind)).toMatch(message);
    expect((await db.verify()).differences).toEqual([]);
    expect(reads(db)).toEqual(expectedReads);
  } finally {
    await db.close();
  }
  // The repair is committed: a fresh open sees it too.
  const again = await EventDB.open({ path: dir, clock: CLOCK });
  try {
    expect((await again.verify()).differences).toEqual([]);
    expect(reads(again)).toEqual(expectedReads);
  } finally {
    await again.close();
  }
}

describe('verify names every kind of tampered state; rebuild repairs it', () => {
  it('a removed dedupe entry', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ dedupe }) => {
      await removeDedupeEntry(dedupe, 2);
    });
    await expectRepaired(good, 'dedupe', /eventId e2 at seq 2 resolves to undefined/, (db) => expect(db.getEvent('e2')).toBeUndefined());
  });

  it('an extra dedupe entry', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ dedupe, dedupeFilters }) => {
      await addDedupeEntry(dedupe, dedupeFilters, 0xffffffffffffffffn, 3);
    });
    await expectRepaired(good, 'dedupe', /9 dedupe entries \(runs, memory and collisions\) stored for 8 records/);
  });

  it('a removed index entry', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ runBlocks }) => {
      await removeRunEntry(runBlocks, 5, 'purchase');
    });
    await expectRepaired(good, 'index', /index entries of eventName "purchase": 0 stored, the log implies 1/, (db) =>
      expect(db.events({ eventName: 'purchase' }).toArray()).toEqual([]),
    );
  });

  it('an extra index entry', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ index }) => {
      await putPosting(index, 5, 'ghost', Date.UTC(2026, 0, 1), 1);
    });
    await expectRepaired(good, 'index', /index entries of eventName "ghost": 1 stored, the log implies none/, (db) =>
      expect(
        db
          .events({ eventName: 'ghost' })
          .toArray()
          .map((e) => e.eventId),
      ).toEqual(['e1']),
    );
  });

  it('a counter', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ meta }) => {
      const counters = meta.get('counters') as Record<string, number>;
      await meta.put('counters', { ...counters, events: counters['events']! + 5, feedItems: 40, sessions: 9 });
    });
    await expectRepaired(
      good,
      'counter',
      /events counter is 9, the log holds 4[\s\S]*feedItems counter is 40, the log holds 2[\s\S]*sessions counter is 9, the log implies 3/,
      (db) => expect(db.stats()).toMatchObject({ events: 9, feedItems: 40, sessions: 9 }),
    );
  });

  it('a projection: a partial state', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ partials }) => {
      const account = positionalPartials.decode(PartialKind.account, partials.get('00004acme')!) as AccountPartial;
      await partials.put('00004acme', Buffer.from(positionalPartials.encode(PartialKind.account, { ...account, count: account.count + 1234 })));
    });
    await expectRepaired(good, 'projection', /partial \[0,4,"acme"\] differs from the log/, (db) =>
      expect(db.getAccount('acme')?.eventCount).toBeGreaterThan(1234),
    );
  });

  it('a projection: a removed partial state (a profile)', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ partials }) => {
      await partials.remove('00001p2');
    });
    await expectRepaired(good, 'projection', /partial \[0,1,"p2"\] is missing/, (db) => expect(db.getProfile('p2')?.eventCount).toBe(0));
  });

  it('a projection: a link', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ links }) => {
      await links.remove('p1');
    });
    await expectRepaired(good, 'projection', /link of profileId p1 is missing/);
  });

  it('a projection: a member', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ members }) => {
      await members.put('u1', [...members.get('u1')!.split('\u0000'), 'p2'].sort().join('\u0000'));
    });
    await expectRepaired(good, 'projection', /member \["u1","p2"\] is stored but the log implies none/);
  });

  it('a projection: an identifier', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ identifiers }) => {
      await identifiers.remove('4acme');
    });
    await expectRepaired(good, 'projection', /identifier \["4","acme"\] is missing/);
  });

  it('a projection: an extra identifier, which the writer had looked up, is unknown once removed', async () => {
    await seed(dir);
    await tamper(dir, async ({ root, identifiers }) => {
      await identifiers.put('2ghost', 1);
      // Without a stored identifier filter the open refills it from the identifiers, the extra one too.
      const filter = root.openDB({ name: 'identifier-filter', encoding: 'binary' });
      for (const key of filter.getKeys()) await filter.remove(key);
    });
    const db = await EventDB.open({ path: dir, clock: CLOCK });
    try {
      expect(db.getProfile({ userId: 'ghost' })).toBeDefined();
      const rebuilt = await db.rebuild();
      expect(messagesOf(rebuilt, 'projection')).toMatch(/identifier \["2","ghost"\] is stored but the log implies none/);
      expect(db.getProfile({ userId: 'ghost' })).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it('a catalog entry', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ catalogEntries }) => {
      await catalogEntries.remove('b');
    });
    await expectRepaired(good, 'catalog', /catalog entry b is missing/, (db) => expect(db.catalog.get('b')).toBeUndefined());
  });

  it('a catalog index key and a catalog count', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ root }) => {
      await root.openDB({ name: 'catalogIndex', keyEncoding: 'binary', encoding: 'binary' }).put(Buffer.from('ff00ff', 'hex'), Buffer.alloc(0));
      const counts = root.openDB<number, string>({ name: 'catalogCounts' });
      const [first] = counts.getRange({ limit: 1 });
      await counts.put(first!.key, first!.value + 7);
    });
    await expectRepaired(good, 'catalog', /catalog index key ff00ff is stored but the log implies none[\s\S]*catalog count .* is \d+, the log implies \d+/);
  });

  it('everything at once, in one LMDB transaction; the writer goes on from the repaired state', async () => {
    await seed(dir);
    const good = await readsOfSeed();
    await tamper(dir, async ({ dedupe, runBlocks, index, meta, partials, links, members, identifiers, catalogEntries }) => {
      await removeDedupeEntry(dedupe, 2);
      await removeRunEntry(runBlocks, 5, 'purchase');
      await putPosting(index, 5, 'ghost', 0, 1);
      const counters = meta.get('counters') as Record<string, number>;
      await meta.put('counters', { ...counters, events: counters['events']! + 5, productRemovals: 3 });
      await partials.remove('00001p2');
      await links.remove('p1');
      await members.put('u1', [...members.get('u1')!.split('\u0000'), 'p2'].sort().join('\u0000'));
      await identifiers.remove('3s2');
      await catalogEntries.remove('b');
    });
    const db = await EventDB.open({ path: dir, clock: CLOCK });
    try {
      const before = await db.verify();
      expect(new Set(before.differences.map((d) => d.kind))).toEqual(new Set(['dedupe', 'index', 'counter', 'projection', 'catalog']));
      const txnBefore = lastTxnId(db);
      const rebuilt = await db.rebuild();
      expect(rebuilt.repaired).toBe(true);
      expect(rebuilt.differenceCount).toBe(before.differenceCount);
      // Every repair committed together: exactly one transaction.
      expect(lastTxnId(db) - txnBefore).toBe(1);
      expect((await db.verify()).differences).toEqual([]);
      expect(reads(db)).toEqual(good);
      // The writer's memory follows: e2's dedupe entry is known again, s2 is a known session, counters go on from the log.
      expect(await db.ingest(ev('e2', 1, { profileId: 'p1', userId: 'u1', eventName: 'login', accountId: 'acme' }))).toMatchObject({
        status: 'duplicate',
        seq: 2,
      });
      expect((await db.ingest(ev('e5', 9, { profileId: 'p2', sessionId: 's2' }))).status).toBe('accepted');
      expect(db.stats()).toMatchObject({ events: 5, sessions: 3, productRemovals: 0 });
      expect((await db.verify()).differences).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('a rebuild with nothing to repair writes nothing', async () => {
    await seed(dir);
    const db = await EventDB.open({ path: dir, clock: CLOCK });
    try {
      const txnBefore = lastTxnId(db);
      expect(await db.rebuild()).toMatchObject({ ok: true, repaired: true, differences: [] });
      expect(lastTxnId(db)).toBe(txnBefore);
    } finally {
      await db.close();
    }
  });
});

describe('collisions', () => {
  it('a removed collision entry (eventIds whose hashes collide) is named and put back', async () => {
    const internal = { hashEventId: (): bigint => 7n };
    const db = await EventDB.open({ path: dir }, internal);
    await db.ingestBatch([ev('x1', 0, { profileId: 'p1' }), ev('x2', 1, { profileId: 'p1' }), ev('x3', 2, { profileId: 'p1' })]);
    await db.close();
    await tamper(dir, async ({ root }) => {
      await root.openDB({ name: 'collisions' }).remove('x2');
    });
    const again = await EventDB.open({ path: dir }, internal);
    try {
      expect(again.getEvent('x2')).toBeUndefined();
      expect(messagesOf(await again.verify(), 'dedupe')).toMatch(/eventId x2 at seq 2 resolves to undefined/);
      expect((await again.rebuild()).repaired).toBe(true);
      expect((await again.verify()).differences).toEqual([]);
      expect(['x1', 'x2', 'x3'].map((id) => again.getEvent(id)?.seq)).toEqual([1, 2, 3]);
    } finally {
      await again.close();
    }
  });
});

describe('collisions after a crash', () => {
  it('are kept apart by the recovery, and the checkpoint after it stores them as the writer did', async () => {
    const internal = { hashEventId: (): bigint => 7n };
    const first = await EventDB.open({ path: dir }, internal);
    await first.ingestBatch([ev('x1', 0, { profileId: 'p1' })]);
    await first.close();
    // x2 and x3 share x1's hash; closed without a checkpoint, as a crash leaves them: the recovery replays them.
    const crashed = await EventDB.open({ path: dir, checkpoint: { idleMs: 0 } }, { ...internal, checkpointAtClose: false });
    await crashed.ingestBatch([ev('x2', 1, { profileId: 'p1' }), ev('x3', 2, { profileId: 'p1' })]);
    await crashed.close();
    // The second round reads what the first one's checkpoint at close wrote.
    for (let round = 0; round < 2; round++) {
      const db = await EventDB.open({ path: dir }, internal);
      try {
        expect(['x1', 'x2', 'x3'].map((id) => db.getEvent(id)?.seq)).toEqual([1, 2, 3]);
        expect(await db.ingestBatch([ev('x3', 2, { profileId: 'p1' }), ev('x1', 0, { profileId: 'p1' })])).toMatchObject({ accepted: 0, duplicates: 2 });
        expect((await db.verify()).differences).toEqual([]);
      } finally {
        await db.close();
      }
    }
  });
});

describe('log gaps', () => {
  it('a record that cannot be decoded is reported as unrepairable, and stepped over', async () => {
    await seed(dir);
    await tamper(dir, async ({ root }) => {
      await root.openDB({ name: 'log', encoding: 'binary' }).put(2, Buffer.from([0xc1]));
    });
    const db = await EventDB.open({ path: dir, clock: CLOCK });
    try {
      const before = await db.verify();
      expect(messagesOf(before, 'log')).toMatch(/^log record at seq 2 cannot be decoded/);
      expect(before.recordsChecked).toBeGreaterThan(5);
      const rebuilt = await db.rebuild();
      expect(rebuilt.repaired).toBe(false);
      expect(rebuilt.unrepairable?.map((d) => d.kind)).toEqual(['log']);
      expect((await db.verify()).differences.map((d) => d.kind)).toEqual(['log']);
      expect(db.getEvent('e4')?.seq).toBe(4);
    } finally {
      await db.close();
    }
  });

  it('a missing log record is reported as unrepairable; the rest is repaired to the log as it is', async () => {
    await seed(dir);
    await tamper(dir, async ({ log }) => {
      await log.remove(3);
    });
    const db = await EventDB.open({ path: dir, clock: CLOCK });
    try {
      const before = await db.verify();
      expect(messagesOf(before, 'log')).toBe('log record at seq 3 is missing');
      // e3's entries now point at nothing.
      expect(messagesOf(before, 'index')).toMatch(/index entries of eventName "purchase": 1 stored, the log implies none/);
      const rebuilt = await db.rebuild();
      expect(rebuilt.repaired).toBe(false);
      expect(rebuilt.unrepairable).toEqual([{ kind: 'log', message: 'log record at seq 3 is missing' }]);
      const after = await db.verify();
      expect(after.differences).toEqual([{ kind: 'log', message: 'log record at seq 3 is missing' }]);
      expect(db.getEvent('e3')).toBeUndefined();
      expect(db.getProfile('p2')).toBeUndefined();
      expect(db.events({ eventName: 'purchase' }).toArray()).toEqual([]);
      expect(db.stats()).toMatchObject({ events: 3 });
    } finally {
      await db.close();
    }
  });
});

const ENTRY = 14;
const TWO_32 = 2 ** 32;
const seqAt = (block: Buffer, at: number): number => block.readUInt16BE(at + 8) * TWO_32 + block.readUInt32BE(at + 10);

/** Drops the dedupe entry of `seq` from the block that holds it (the run's filter still counts it). */
async function removeDedupeEntry(dedupe: Database<Buffer, Buffer>, seq: number): Promise<void> {
  for (const { key, value } of dedupe.getRange()) {
    for (let at = 0; at < value.length; at += ENTRY) {
      if (seqAt(value, at) !== seq) continue;
      const rest = Buffer.concat([value.subarray(0, at), value.subarray(at + ENTRY)]);
      await (rest.length === 0 ? dedupe.remove(Buffer.from(key)) : dedupe.put(Buffer.from(key), rest));
      return;
    }
  }
  throw new Error(`no dedupe entry for seq ${seq}`);
}

/** Appends an entry to the last block of the newest run (hash above every other, so the block stays sorted) and counts it. */
async function addDedupeEntry(dedupe: Database<Buffer, Buffer>, filters: Database<Buffer, number>, hash: bigint, seq: number): Promise<void> {
  const last = [...dedupe.getRange({ reverse: true, limit: 1 })][0]!;
  const entry = Buffer.alloc(ENTRY);
  entry.writeBigUInt64BE(hash, 0);
  entry.writeUInt32BE(seq, 10);
  await dedupe.put(Buffer.from(last.key), Buffer.concat([last.value, entry]));
  const filter = [...filters.getRange({ reverse: true, limit: 1 })][0]!;
  const counted = Buffer.from(filter.value);
  counted.writeUInt32BE(counted.readUInt32BE(0) + 1, 0);
  await filters.put(filter.key, counted);
}

/**
 * Removes one key's entry from the run block that holds it, as a bug rewriting the block without it would. A block:
 * entry count u16, each entry's offset u16 after the table, then the entries.
 */
async function removeRunEntry(blocks: Database<Buffer, Buffer>, kind: number, value: string): Promise<void> {
  for (const { key, value: block } of blocks.getRange()) {
    const count = block.readUInt16BE(0);
    const table = 2 + 2 * count;
    const entries: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const at = table + block.readUInt16BE(2 + 2 * i);
      const length = block.readUInt16BE(at + 1);
      const end = at + 7 + length + block.readUInt32BE(at + 3 + length);
      if (block[at] !== kind || block.toString('utf8', at + 3, at + 3 + length) !== value) entries.push(Buffer.from(block.subarray(at, end)));
    }
    if (entries.length === count) continue;
    const header = Buffer.alloc(2 + 2 * entries.length);
    header.writeUInt16BE(entries.length, 0);
    for (let i = 0, offset = 0; i < entries.length; offset += entries[i]!.length, i++) header.writeUInt16BE(offset, 2 + 2 * i);
    return blocks.put(Buffer.from(key), Buffer.concat([header, ...entries])).then(() => undefined);
  }
  throw new Error(`no run entry for [${kind}, ${value}]`);
}

/** Writes a format-4 chunk holding one posting (chunks are still read beside the runs). */
async function putPosting(index: Database<Buffer, Buffer>, kind: number, value: string, time: number, seq: number): Promise<void> {
  const key = Buffer.concat([Buffer.from([kind]), Buffer.from(value), Buffer.from([0]), Buffer.alloc(6)]);
  const posting = Buffer.alloc(ENTRY);
  const biased = time + 2 ** 46;
  posting.writeUInt32BE(Math.floor(biased / TWO_32), 0);
  posting.writeUInt32BE(biased >>> 0, 4);
  posting.writeUInt32BE(seq, 10);
  await index.put(key, posting);
}

function lastTxnId(db: EventDB): number {
  return (db as unknown as { storage: { lastTxnId(): number } }).storage.lastTxnId();
}
