import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    const hostile = { get eventId(): string { throw new Error('boom'); } };
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
