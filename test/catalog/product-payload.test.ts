import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type CatalogEntry } from '../../src/index.js';
import { at, shuffle } from '../helpers/events.js';

let db: EventDB;
let now = Date.UTC(2026, 5, 1);
beforeEach(async () => {
  now = Date.UTC(2026, 5, 1);
  db = await EventDB.open({ inMemory: true, clock: () => now });
});
afterEach(async () => {
  await db.close();
});

describe('product payloads', () => {
  it('are logged and merged into the catalog entry, and create no profile', async () => {
    const result = await db.ingest({ productId: '123', data: { name: 'Wine', amount: 150, quantity: 4 } });
    expect(result.status).toBe('accepted');
    expect(result.eventId).toMatch(/^p-[0-9a-f]{32}$/);
    // name, amount and quantity are not catalog fields: they go to extra, and the entry lacks every required field.
    expect(db.catalog.get('123')).toEqual({
      id: '123',
      extra: { name: 'Wine', amount: 150, quantity: 4 },
      missing: ['title', 'description', 'url', 'image_link'],
      updatedAt: '2026-06-01T00:00:00.000Z',
    });
    expect(db.getEvent(result.eventId!)).toMatchObject({ kind: 'product', productId: '123', time: now });
    expect([...db.events({ productId: '123' })]).toHaveLength(1);
    expect(db.stats()).toMatchObject({ events: 0, productUpdates: 1, products: 1 });
  });

  it('keep nested __proto__ keys of extra fields as plain data, through a reopen of the entry, and verify clean', async () => {
    // As JSON.parse makes them: own keys named __proto__ (and one that looks escaped) inside an extra field's value.
    const data = JSON.parse('{"specs":{"__proto__":{"polluted":true},"~__proto__":[1],"deep":{"__proto__":"x"}}}') as Record<string, unknown>;
    await db.ingest({ productId: 'p-proto', data, timestamp: at(0) });
    await db.ingest({ productId: 'p-proto', data: { colour: 'red' }, timestamp: at(1) });
    const extra = db.catalog.get('p-proto')?.extra as Record<string, unknown>;
    expect(JSON.stringify(extra['specs'])).toBe(JSON.stringify(data['specs']));
    expect(Object.getPrototypeOf(extra['specs'])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await db.verify()).differences).toEqual([]);
  });

  it('do not appear under the profile or user they carry', async () => {
    await db.ingest({ productId: 'x', profileId: 'p1', userId: 'u1', sessionId: 's1', data: { title: 'T' }, timestamp: at(0) });
    expect([...db.events({ profileId: 'p1' })]).toEqual([]);
    expect([...db.events({ userId: 'u1' })]).toEqual([]);
  });

  it('derive eventId from content and time: an identical resend is a duplicate, A-B-A leaves A', async () => {
    const a = { productId: 'sku', data: { price: 10 } };
    const b = { productId: 'sku', data: { price: 12 } };
    expect((await db.ingest({ ...a, timestamp: at(1) })).status).toBe('accepted');
    expect((await db.ingest({ ...a, timestamp: at(1) })).status).toBe('duplicate');
    expect((await db.ingest({ ...b, timestamp: at(2) })).status).toBe('accepted');
    expect((await db.ingest({ ...a, timestamp: at(3) })).status).toBe('accepted');
    expect(db.catalog.get('sku')?.price).toEqual({ amount: 10 });
    // Without a timestamp, "now" is the store's clock: the same content later is a new write.
    now += 1000;
    expect((await db.ingest(a)).status).toBe('accepted');
    expect((await db.ingest(a)).status).toBe('duplicate');
  });

  it('merge field by field by latest (timestamp, eventId), whatever the arrival order', async () => {
    const payloads = [
      { productId: 'p', eventId: 'w1', timestamp: at(1), data: { title: 'One', price: 1 } },
      { productId: 'p', eventId: 'w2', timestamp: at(2), data: { price: 2 } },
      { productId: 'p', eventId: 'w3b', timestamp: at(3), data: { brand: 'B' } },
      { productId: 'p', eventId: 'w3a', timestamp: at(3), data: { brand: 'A', title: 'Three' } },
    ];
    const expected = { title: 'Three', price: { amount: 2 }, brand: 'B' };
    const fields = (entry: CatalogEntry | undefined) => ({ title: entry?.title, price: entry?.price, brand: entry?.brand });
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const store = await EventDB.open({ inMemory: true });
      try {
        for (const payload of shuffle(payloads, seed)) await store.ingest(payload);
        expect(fields(store.catalog.get('p')), `seed ${seed}`).toEqual(expected);
      } finally {
        await store.close();
      }
    }
    await db.ingestBatch(payloads);
    expect(fields(db.catalog.get('p'))).toEqual(expected);
  });

  it('keep a data key named __proto__ as plain data', async () => {
    await db.ingest(JSON.parse('{"productId":"evil","data":{"__proto__":{"polluted":true},"ok":1}}'));
    const entry = db.catalog.get('evil');
    expect(Object.hasOwn(entry!.extra, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('quarantine', () => {
  it('lists rejects in order, resubmits a fixed record, and purges', async () => {
    await db.ingestBatch([
      { eventId: 'q1', profileId: 'p', sessionId: 's', eventName: 'x', timestamp: '2026-01-01T10:00:00' },
      { eventId: 'q2', profileId: 'p', sessionId: 's', eventName: 'x' },
      { eventId: 'q3', profileId: 'p', sessionId: 's', eventName: 'x', timestamp: 5 },
    ]);
    const listed = db.quarantine.list();
    expect(listed.map((q) => [q.id, q.errors[0]?.code])).toEqual([
      [1, 'INVALID_TIMESTAMP'],
      [2, 'MISSING_FIELD'],
      [3, 'WRONG_TYPE'],
    ]);
    expect(db.quarantine.list({ afterId: 1, limit: 1 }).map((q) => q.id)).toEqual([2]);
    const fixed = { ...(listed[0]!.input as object), timestamp: '2026-01-01T10:00:00Z' };
    expect((await db.quarantine.resubmit(1, fixed)).status).toBe('accepted');
    expect(db.getEvent('q1')).toBeDefined();
    // Resubmitted unchanged, it is rejected again and comes back under a new id.
    expect((await db.quarantine.resubmit(2)).status).toBe('rejected');
    expect(db.quarantine.list().map((q) => q.id)).toEqual([3, 4]);
    expect(await db.quarantine.purge([3])).toBe(1);
    expect(await db.quarantine.purge()).toBe(1);
    expect(db.quarantine.count()).toBe(0);
    await expect(db.quarantine.resubmit(99)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps the same rejected input once, with a count and the time it was last seen', async () => {
    const bad = { eventId: 'r1', profileId: 'p', sessionId: 's', eventName: 'x', timestamp: 'soon' };
    for (let i = 0; i < 3; i++) {
      now = Date.UTC(2026, 5, 1 + i);
      expect((await db.ingest({ ...bad })).status).toBe('rejected');
    }
    expect(db.quarantine.list()).toEqual([
      expect.objectContaining({ id: 1, input: bad, count: 3, rejectedAt: Date.UTC(2026, 5, 1), lastRejectedAt: Date.UTC(2026, 5, 3) }),
    ]);
    // Twice in one batch, and in concurrent calls sharing a commit: still one entry each; key order does not matter.
    await db.ingestBatch([{ ...bad, eventId: 'r2' }, 42, { timestamp: 'soon', eventName: 'x', sessionId: 's', profileId: 'p', eventId: 'r2' }]);
    await Promise.all([db.ingest({ ...bad, eventId: 'r3' }), db.ingest({ ...bad, eventId: 'r3' })]);
    expect(db.quarantine.list().map((q) => [q.id, q.count])).toEqual([
      [1, 3],
      [2, 2],
      [3, 1],
      [4, 2],
    ]);
    // Another input, or the same input with other errors, is another entry; every rejection still counts in stats.
    expect(db.stats()).toMatchObject({ rejected: 8, quarantined: 4 });
  });

  it('keeps the rejects of a file ingested twice once each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-quarantine-'));
    try {
      const file = join(dir, 'in.ndjson');
      const good = { eventId: 'f1', profileId: 'p', sessionId: 's', eventName: 'x', timestamp: '2026-01-01T10:00:00Z' };
      writeFileSync(file, [JSON.stringify(good), '{"eventId":"f2","profileId":"p"}', '{not json', ''].join('\n'));
      // workers: 0 parses in this thread (worker threads take seconds to start under the test runner).
      await db.ingestFile(file, { workers: 0 });
      await db.ingestFile(file, { workers: 0 });
      expect(db.quarantine.list().map((q) => q.count)).toEqual([2, 2]);
      expect(db.stats()).toMatchObject({ records: 1, rejected: 4, quarantined: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resubmit removes the entry in the same transaction as it writes the record', async () => {
    // lmdb-js saves a new record shape (msgpack shared structures) in transactions of its own: write the shape once first.
    await db.ingest({ eventId: 'warm', profileId: 'p0', sessionId: 's0', eventName: 'x', timestamp: '2026-01-01T09:00:00Z' });
    await db.ingest({ eventId: 'q1', profileId: 'p', sessionId: 's', eventName: 'x', timestamp: 'soon' });
    const storage = (db as unknown as { storage: { lastTxnId(): number } }).storage;
    const before = storage.lastTxnId();
    const result = await db.quarantine.resubmit(1, { eventId: 'q1', profileId: 'p', sessionId: 's', eventName: 'x', timestamp: '2026-01-01T10:00:00Z' });
    expect(result).toMatchObject({ status: 'accepted', seq: 2 });
    expect(storage.lastTxnId() - before).toBe(1);
    expect(db.quarantine.count()).toBe(0);
    expect(db.getEvent('q1')?.seq).toBe(2);
    // Rejected again unchanged: the old entry goes and a new one comes, in one transaction too.
    await db.ingest({ eventId: 'q2', profileId: 'p' });
    const again = storage.lastTxnId();
    expect((await db.quarantine.resubmit(2)).status).toBe('rejected');
    expect(storage.lastTxnId() - again).toBe(1);
    expect(db.quarantine.list().map((q) => [q.id, q.count])).toEqual([[3, 1]]);
    // A later reject of the same input counts on the new entry.
    await db.ingest({ eventId: 'q2', profileId: 'p' });
    expect(db.quarantine.list().map((q) => [q.id, q.count])).toEqual([[3, 2]]);
  });

  it('can be turned off', async () => {
    const store = await EventDB.open({ inMemory: true, quarantine: false });
    try {
      expect((await store.ingest({ nope: true })).status).toBe('rejected');
      expect(store.quarantine.count()).toBe(0);
      expect(store.stats().rejected).toBe(1);
    } finally {
      await store.close();
    }
  });
});
