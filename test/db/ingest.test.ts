import { deepStrictEqual } from 'node:assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventDB } from '../../src/index.js';
import { event } from '../helpers/events.js';

let db: EventDB;
beforeEach(async () => {
  db = await EventDB.open({ inMemory: true });
});
afterEach(async () => {
  await db.close();
});

describe('ingest', () => {
  it('accepts a valid event and reads it back by eventId', async () => {
    const result = await db.ingest(event({ eventId: 'e1', data: { price: 9.5 } }));
    expect(result).toEqual({ status: 'accepted', eventId: 'e1', seq: 1 });
    expect(db.getEvent('e1')).toMatchObject({
      seq: 1,
      kind: 'event',
      eventId: 'e1',
      profileId: 'p1',
      timestamp: '2026-01-01T10:00:00.000Z',
      time: Date.UTC(2026, 0, 1, 10),
      data: { price: 9.5 },
    });
    expect(db.getEvent('nope')).toBeUndefined();
  });

  it('returns records as plain objects, equal in the strictest sense to the literal of their fields', async () => {
    await db.ingest(event({ eventId: 'e1', sessionId: 's1', data: { price: 9.5 } }));
    await db.ingest(event({ eventId: 'e2', userId: 'u1', eventName: 'purchase' }));
    const [first, second] = db.events({ profileId: 'p1' }).toArray();
    for (const record of [db.getEvent('e1'), first, second]) {
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      expect(record?.constructor).toBe(Object);
    }
    const literal = { seq: 1, kind: 'event', eventId: 'e1', timestamp: '2026-01-01T10:00:00.000Z', time: Date.UTC(2026, 0, 1, 10) };
    deepStrictEqual(first, { ...literal, profileId: 'p1', sessionId: 's1', eventName: 'page_view', data: { price: 9.5 } });
    deepStrictEqual(structuredClone(second), second);
    expect(Object.keys(second!)).toEqual(['seq', 'kind', 'eventId', 'timestamp', 'time', 'profileId', 'userId', 'sessionId', 'eventName']);
  });

  it('rejects a bad record with structured errors and quarantines it', async () => {
    const result = await db.ingest({ eventId: 'bad', sessionId: 's', eventName: 'x', timestamp: 'soon' });
    expect(result.status).toBe('rejected');
    expect(result.eventId).toBe('bad');
    expect(result.errors?.map((e) => e.code).sort()).toEqual(['INVALID_TIMESTAMP', 'MISSING_IDENTIFIER']);
    expect(db.getEvent('bad')).toBeUndefined();
    expect(db.quarantine.count()).toBe(1);
    expect(db.quarantine.list()[0]).toMatchObject({ id: 1, input: { eventId: 'bad' } });
    expect(db.stats()).toMatchObject({ records: 0, rejected: 1, quarantined: 1 });
  });

  it('never throws on input that is not an object', async () => {
    for (const input of [null, undefined, 42, 'str', [1, 2], () => 1, Symbol('s'), 10n]) {
      const result = await db.ingest(input);
      expect(result.status).toBe('rejected');
      expect(result.errors?.[0]?.code).toBe('NOT_AN_OBJECT');
    }
    expect(db.quarantine.count()).toBe(8);
    const hostile = {
      get eventId(): string {
        throw new Error('boom');
      },
    };
    expect((await db.ingest(hostile)).errors?.[0]).toMatchObject({ code: 'NOT_JSON_VALUE', path: '' });
  });

  it('reports a path that is not a directory as INVALID_OPTIONS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-test-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, 'x');
      await expect(EventDB.open({ path: file })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a duplicate, and a conflicting duplicate when the content differs', async () => {
    await db.ingest(event({ eventId: 'e1', data: { a: 1 } }));
    expect(await db.ingest(event({ eventId: 'e1', data: { a: 1 } }))).toEqual({ status: 'duplicate', eventId: 'e1', seq: 1 });
    expect(await db.ingest(event({ eventId: 'e1', data: { a: 2 } }))).toEqual({
      status: 'duplicate',
      eventId: 'e1',
      seq: 1,
      conflict: true,
    });
    expect(db.getEvent('e1')?.data).toEqual({ a: 1 });
    expect(db.stats()).toMatchObject({ records: 1, duplicates: 2, conflicts: 1 });
  });

  it('compares a duplicate with a record of the same call, which is not committed yet', async () => {
    const batch = await db.ingestBatch([
      event({ eventId: 'e1', data: { a: 1 } }),
      event({ eventId: 'e1', data: { a: 1 } }),
      event({ eventId: 'e1', data: { a: 2 } }),
    ]);
    expect(batch).toMatchObject({ accepted: 1, duplicates: 2, conflicts: [{ index: 2, eventId: 'e1' }] });
    // Concurrent single-record calls share one call.
    const [first, again] = await Promise.all([db.ingest(event({ eventId: 'e2', data: { a: 1 } })), db.ingest(event({ eventId: 'e2', data: { a: 2 } }))]);
    expect(first).toEqual({ status: 'accepted', eventId: 'e2', seq: 2 });
    expect(again).toEqual({ status: 'duplicate', eventId: 'e2', seq: 2, conflict: true });
    expect(db.stats()).toMatchObject({ records: 2, duplicates: 3, conflicts: 2 });
  });

  it('treats the same instant in another zone and reordered data keys as the same content', async () => {
    await db.ingest(event({ eventId: 'e1', timestamp: '2026-01-01T10:00:00Z', data: { a: 1, b: 2 } }));
    const again = await db.ingest(event({ eventId: 'e1', timestamp: '2026-01-01T12:00:00+02:00', data: { b: 2, a: 1 } }));
    expect(again).toEqual({ status: 'duplicate', eventId: 'e1', seq: 1 });
  });

  it('lands good records of a batch and returns bad ones with their index, duplicates inside the batch included', async () => {
    await db.ingest(event({ eventId: 'old' }));
    const result = await db.ingestBatch([
      event({ eventId: 'a' }),
      { eventId: 'b', profileId: 'p1' },
      event({ eventId: 'a' }),
      event({ eventId: 'old' }),
      42,
      event({ eventId: 'c', userId: 'anonymous', profileId: undefined }),
      event({ eventId: 'd' }),
    ]);
    expect(result.accepted).toBe(3);
    expect(result.duplicates).toBe(2);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 4]);
    expect(result.rejected[0]).toMatchObject({ index: 1, eventId: 'b' });
    expect(result.warnings).toEqual([{ index: 5, warnings: [expect.objectContaining({ code: 'PLACEHOLDER_IDENTIFIER', path: 'userId' })] }]);
    expect(['old', 'a', 'c', 'd'].map((id) => db.getEvent(id)?.seq)).toEqual([1, 2, 3, 4]);
    expect(db.stats()).toMatchObject({ records: 4, events: 4, duplicates: 2, rejected: 2 });
    expect((await db.verify()).ok).toBe(true);
  });

  it('group-commits concurrent ingest calls, each answered on its own', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) => db.ingest(event({ eventId: `c${i % 900}`, profileId: `p${i % 7}` })));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(900);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(100);
    expect(new Set(results.map((r) => r.seq)).size).toBe(900);
    expect(db.stats().records).toBe(900);
    expect((await db.verify()).ok).toBe(true);
  });

  it('group-commits: 1,000 concurrent ingest calls take a handful of LMDB transactions and writer commits, not one per call', async () => {
    const storage = (db as unknown as { storage: { root: { getStats(): { lastTxnId: number } }; meta: { put: (...args: unknown[]) => unknown } } }).storage;
    const txnId = (): number => storage.root.getStats().lastTxnId;
    // The writer persists the counters once per commit it makes: that counts its commits.
    const counterWrites = vi.spyOn(storage.meta, 'put');
    await db.ingest(event({ eventId: 'warm-up' }));
    const before = txnId();
    counterWrites.mockClear();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => db.ingest(event({ eventId: `g${i}`, profileId: `p${i % 7}` }))));
    const transactions = txnId() - before;
    const commits = counterWrites.mock.calls.filter(([key]) => key === 'counters').length;
    counterWrites.mockRestore();
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(transactions, 'LMDB transactions for 1,000 calls').toBeLessThanOrEqual(5);
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits, 'writer commits for 1,000 calls').toBeLessThanOrEqual(5);
    expect(db.stats().records).toBe(1001);
  });

  it('rejects calls after close with a CLOSED error', async () => {
    const other = await EventDB.open({ inMemory: true });
    await other.close();
    await expect(other.ingest(event())).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => other.getEvent('x')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});

describe('dedupe', () => {
  it('is exact when two eventIds share a hash: both stored, each found, both deduped', async () => {
    const collide = await EventDB.open({ inMemory: true }, { hashEventId: () => 42n });
    try {
      expect((await collide.ingest(event({ eventId: 'x1' }))).status).toBe('accepted');
      expect((await collide.ingestBatch([event({ eventId: 'x2' }), event({ eventId: 'x3' })])).accepted).toBe(2);
      expect((await collide.ingest(event({ eventId: 'x2' }))).status).toBe('duplicate');
      expect((await collide.ingest(event({ eventId: 'x3' }))).status).toBe('duplicate');
      expect((await collide.ingest(event({ eventId: 'x1' }))).status).toBe('duplicate');
      expect(collide.getEvent('x3')?.seq).toBe(3);
      expect((await collide.verify()).ok).toBe(true);
    } finally {
      await collide.close();
    }
  });

  it('is permanent across close and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-test-'));
    try {
      const first = await EventDB.open({ path: dir });
      await first.ingestBatch([event({ eventId: 'k1' }), event({ eventId: 'k2' })]);
      await first.close();
      const second = await EventDB.open({ path: dir });
      const again = await second.ingestBatch([event({ eventId: 'k1' }), event({ eventId: 'k3' }), event({ eventId: 'k2' })]);
      expect(again).toMatchObject({ accepted: 1, duplicates: 2 });
      expect(second.getEvent('k3')?.seq).toBe(3);
      expect(second.stats()).toMatchObject({ records: 3, duplicates: 2 });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('durability (a store on disk: in-memory stores never fsync)', () => {
  interface Internals {
    storage: { root: { transactionSync: (action: () => unknown, flags?: number) => unknown } };
  }

  /** lmdb-js's flag that lets a synchronous transaction return before its commit is flushed to disk. */
  const NO_SYNC_FLUSH = 0x10000;

  /**
   * Records, for each LMDB transaction a write call commits, whether lmdb-js flushes it to disk before it returns
   * (it does unless the call passes NO_SYNC_FLUSH), and when the transaction ended, so a test can tell whether a
   * call resolved before its transaction was flushed. The flush itself is LMDB's (fdatasync): this checks the
   * contract with lmdb-js that decides it.
   */
  function watchCommits(store: EventDB): { commits: { flushed: boolean; endedAt: number }[]; restore: () => void } {
    const root = (store as unknown as Internals).storage.root;
    const real = root.transactionSync.bind(root);
    const commits: { flushed: boolean; endedAt: number }[] = [];
    Object.defineProperty(root, 'transactionSync', {
      configurable: true,
      value: (action: () => unknown, flags?: number) => {
        const result = real(action, flags);
        commits.push({ flushed: flags === undefined || (flags & NO_SYNC_FLUSH) === 0, endedAt: performance.now() });
        return result;
      },
    });
    return { commits, restore: () => delete (root as { transactionSync?: unknown }).transactionSync };
  }

  async function withStore(durability: 'durable' | 'relaxed', body: (store: EventDB, path: string) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-durability-'));
    try {
      const store = await EventDB.open({ path: dir, durability });
      try {
        await body(store, dir);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('durable: ingest, ingestBatch, concurrent ingests and setAttributes resolve after a commit flushed to disk', async () => {
    await withStore('durable', async (store) => {
      const calls: [string, () => Promise<unknown>][] = [
        ['ingest', () => store.ingest(event({ eventId: 'd1' }))],
        ['ingestBatch', () => store.ingestBatch([event({ eventId: 'b1' }), event({ eventId: 'b2' })])],
        ['concurrent ingests', () => Promise.all([store.ingest(event({ eventId: 'c1' })), store.ingest(event({ eventId: 'c2' }))])],
        ['setAttributes', () => store.setAttributes({ profileId: 'p1' }, { set: { plan: 'pro' } })],
      ];
      for (const [name, call] of calls) {
        const watch = watchCommits(store);
        try {
          await call();
          const resolvedAt = performance.now();
          expect(watch.commits.length, `${name} committed`).toBeGreaterThan(0);
          for (const commit of watch.commits) {
            expect(commit.flushed, `${name}: its commit is flushed before lmdb-js returns`).toBe(true);
            expect(commit.endedAt).toBeLessThanOrEqual(resolvedAt);
          }
        } finally {
          watch.restore();
        }
      }
      expect(store.stats().records).toBe(6);
    });
  });

  it('relaxed: resolves once committed, readable, without waiting for the flush; the records are there after reopening', async () => {
    await withStore('relaxed', async (store, path) => {
      const watch = watchCommits(store);
      try {
        expect(await store.ingest(event({ eventId: 'r1' }))).toMatchObject({ status: 'accepted' });
        expect(await store.ingestBatch([event({ eventId: 'r2' }), event({ eventId: 'r3' })])).toMatchObject({ accepted: 2 });
        expect(['r1', 'r2', 'r3'].map((id) => store.getEvent(id)?.eventId)).toEqual(['r1', 'r2', 'r3']);
        expect(watch.commits.map((commit) => commit.flushed)).toEqual([false, false]);
      } finally {
        watch.restore();
      }
      await store.close(); // withStore closes it again: close is idempotent
      const again = await EventDB.open({ path });
      try {
        expect(again.stats().records).toBe(3);
        expect(again.getEvent('r3')?.eventId).toBe('r3');
      } finally {
        await again.close();
      }
    });
  });
});

describe('in-memory mode', () => {
  it('lives in a throw-away directory that close removes, and opens fast', async () => {
    const started = performance.now();
    const mem = await EventDB.open({ inMemory: true });
    const path = (mem as unknown as { storage: { path: string } }).storage.path;
    expect(existsSync(path)).toBe(true);
    await mem.close();
    expect(existsSync(path)).toBe(false);
    // Not a timing assertion: just a generous sanity bound against a pathological open.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('options', () => {
  it('rejects invalid options with INVALID_OPTIONS', async () => {
    await expect(EventDB.open({})).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(EventDB.open({ inMemory: true, path: '/tmp/x' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(EventDB.open({ inMemory: true, durability: 'fast' as 'durable' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(EventDB.open({ inMemory: true, checkpoint: { idleMs: -1 } })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('checkpoint.idleMs') as unknown,
    });
    await expect(EventDB.open({ inMemory: true, checkpoint: { records: 0 } })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('checkpoint.records') as unknown,
    });
  });

  it('uses the configured placeholders and clock', async () => {
    const mem = await EventDB.open({ inMemory: true, placeholderIds: ['nobody'], clock: () => Date.UTC(2030, 0, 1) });
    try {
      const result = await mem.ingest(event({ eventId: 'n1', profileId: 'Nobody' }));
      expect(result.warnings?.[0]?.code).toBe('PLACEHOLDER_IDENTIFIER');
      expect((await mem.ingest(event({ eventId: 'n2', profileId: 'anonymous' }))).warnings).toBeUndefined();
      await mem.ingest({ productId: 'sku', data: { title: 'T' } });
      expect(mem.catalog.get('sku')?.updatedAt).toBe('2030-01-01T00:00:00.000Z');
    } finally {
      await mem.close();
    }
  });
});
