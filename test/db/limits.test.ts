// Hostile input: every limit rejects with its code (and the records beside it land), hostile keys stay plain data,
// non-JSON values are rejected with codes, never crashed on.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, isEventDBError, type Limits } from '../../src/index.js';

let db: EventDB;
const limits: Partial<Limits> = { maxRecordSize: 4_000, maxDepth: 5, maxKeys: 50, maxStringLength: 1_000, maxAttributesPerUpdate: 10, maxBatchSize: 100 };

beforeEach(async () => {
  db = await EventDB.open({ inMemory: true, limits });
});
afterEach(() => db.close());

let next = 0;
function event(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { eventId: `e${next++}`, profileId: 'p1', sessionId: 's1', eventName: 'page_view', timestamp: '2026-03-01T10:00:00Z', ...extra };
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Ingests `bad` between two good records: the good ones land, `bad` is rejected with `code` at `path`. */
async function expectRejected(bad: unknown, code: string, path: string): Promise<void> {
  const good = [event(), event()];
  const result = await db.ingestBatch([good[0], bad, good[1]]);
  expect(result.accepted).toBe(2);
  expect(result.rejected.map((r) => r.index)).toEqual([1]);
  const errors = result.rejected[0]!.errors;
  expect(errors.map((e) => [e.code, e.path])).toContainEqual([code, path]);
  for (const record of good) expect(db.getEvent(record['eventId'] as string)).toBeDefined();
  expect(
    db.quarantine
      .list()
      .at(-1)
      ?.errors.map((e) => e.code),
  ).toContain(code);
}

describe('limits', () => {
  it('rejects a record larger than maxRecordSize with TOO_LARGE', async () => {
    const chunks = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(500)]));
    await expectRejected(event({ data: chunks }), 'TOO_LARGE', 'data');
  });

  it('counts the whole record, data and attributes together, against maxRecordSize', async () => {
    const half = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'x'.repeat(450)]));
    await expectRejected(event({ data: half, attributes: { set: half } }), 'TOO_LARGE', '');
  });

  it('rejects nesting deeper than maxDepth with TOO_DEEP', async () => {
    await expectRejected(event({ data: { x: nested(6) } }), 'TOO_DEEP', 'data.x.a.a.a.a');
    const ok = await db.ingest(event({ data: nested(5) as Record<string, unknown> }));
    expect(ok.status).toBe('accepted');
  });

  it('rejects an object with more than maxKeys keys, or an array with more items, with TOO_MANY_KEYS', async () => {
    const wide = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    await expectRejected(event({ data: { wide } }), 'TOO_MANY_KEYS', 'data.wide');
    await expectRejected(event({ data: { list: Array.from({ length: 51 }, (_, i) => i) } }), 'TOO_MANY_KEYS', 'data.list');
  });

  it('rejects a string longer than maxStringLength with TOO_LONG, and an identifier over 256 characters', async () => {
    await expectRejected(event({ data: { note: 'n'.repeat(1_001) } }), 'TOO_LONG', 'data.note');
    await expectRejected(event({ attributes: { set: { bio: 'b'.repeat(1_001) } } }), 'TOO_LONG', 'attributes.set.bio');
    await expectRejected(event({ profileId: 'p'.repeat(257) }), 'TOO_LONG', 'profileId');
  });

  it('rejects an update naming more than maxAttributesPerUpdate attributes with TOO_MANY_KEYS', async () => {
    const set = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`a${i}`, i]));
    await expectRejected(event({ attributes: { set, unset: ['x', 'y', 'z'] } }), 'TOO_MANY_KEYS', 'attributes');
    const result = await db.setAttributes({ userId: 'u1' }, { set: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, i])) });
    expect(result.status).toBe('rejected');
    expect(result.errors?.map((e) => e.code)).toContain('TOO_MANY_KEYS');
  });

  it('refuses an ingestBatch call over maxBatchSize with LIMIT_EXCEEDED, writing nothing', async () => {
    const records = Array.from({ length: 101 }, () => event());
    const err = await db.ingestBatch(records).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEventDBError(err, 'LIMIT_EXCEEDED')).toBe(true);
    expect(db.stats().events).toBe(0);
    expect((await db.ingestBatch(records.slice(0, 100))).accepted).toBe(100);
  });

  it('checks the limits option itself', async () => {
    for (const bad of [{ maxDepth: 0 }, { maxKeys: 1.5 }, { nope: 1 }, { maxBatchSize: -1 }]) {
      await expect(EventDB.open({ inMemory: true, limits: bad })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
  });

  it('by default (docs: maxDepth 32) accepts data and attribute values nested exactly 32 deep, rejects 33 with TOO_DEEP at the deepest path', async () => {
    const store = await EventDB.open({ inMemory: true });
    try {
      const deepest = (depth: number): string => `.a`.repeat(depth - 1);
      const at32 = await store.ingestBatch([
        event({ eventId: 'd32', data: nested(32) as Record<string, unknown> }),
        event({ eventId: 'a32', attributes: { set: { x: nested(31) } } }),
      ]);
      expect(at32.rejected).toEqual([]);
      expect(at32.accepted).toBe(2);
      expect(store.getEvent('d32')?.data).toEqual(nested(32));
      const at33 = await store.ingestBatch([
        event({ eventId: 'd33', data: nested(33) as Record<string, unknown> }),
        event({ eventId: 'a33', attributes: { set: { x: nested(32) } } }),
      ]);
      expect(at33.accepted).toBe(0);
      expect(at33.rejected.map((r) => r.errors.map((e) => [e.code, e.path]))).toEqual([
        [['TOO_DEEP', `data${deepest(33)}`]],
        [['TOO_DEEP', `attributes.set.x${deepest(32)}`]],
      ]);
      expect(store.getEvent('d33')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('hostile keys', () => {
  const hostile = ['__proto__', 'constructor', 'prototype'];

  it('stores __proto__, constructor and prototype in data as plain data, without touching any prototype', async () => {
    const text = JSON.stringify(event({ eventId: 'hostile' })).replace(
      '}',
      ',"data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":1}}',
    );
    const result = await db.ingest(JSON.parse(text));
    expect(result.status).toBe('accepted');
    const stored = db.getEvent('hostile')!;
    for (const key of hostile) expect(Object.hasOwn(stored.data!, key)).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(stored.data)).toBe(Object.prototype);
    expect((stored.data as Record<string, { polluted?: boolean }>)['__proto__']!.polluted).toBe(true);
  });

  it('rejects a lone UTF-16 surrogate (no UTF-8 form) with its path, and verify agrees with what landed', async () => {
    // Stored, the surrogate would read back as U+FFFD: a replay and a read would see another id than the fold did.
    const lone = JSON.parse('"p\\ud800"') as string;
    await expectRejected(event({ profileId: lone }), 'INVALID_CHARACTER', 'profileId');
    await expectRejected(event({ data: { note: lone } }), 'INVALID_CHARACTER', 'data.note');
    await expectRejected(event({ userId: 'u1', attributes: { set: { [lone]: 1 } } }), 'INVALID_CHARACTER', 'attributes.set.p\\ud800');
    const result = await db.ingestBatch([event({ eventId: lone })]);
    expect(result.rejected[0]!.errors.map((e) => e.code)).toEqual(['INVALID_CHARACTER']);
    expect(db.getProfile('p\ufffd')).toBeUndefined();
    expect(await db.verify()).toMatchObject({ ok: true, differenceCount: 0 });
  });

  it('reads an attribute sent as -0 as 0 before a checkpoint as after one (msgpack stores -0 as 0)', async () => {
    await db.ingest(event({ userId: 'u-zero', attributes: { set: { a: -0 } } }));
    expect(Object.is(db.getProfile({ userId: 'u-zero' })!.attributes['a']!.value, 0)).toBe(true);
  });

  it('keeps attributes named __proto__, constructor and prototype as attributes of the profile', async () => {
    const set = JSON.parse('{"__proto__":"a","constructor":"b","prototype":"c","plain":"d"}') as Record<string, unknown>;
    await db.ingest(event({ eventId: 'attrs', userId: 'u-hostile', attributes: { set } }));
    await db.setAttributes({ userId: 'u-hostile' }, { setOnce: JSON.parse('{"__proto__":"ignored","toString":"x"}') });
    const profile = db.getProfile({ userId: 'u-hostile' })!;
    expect(Object.keys(profile.attributes).sort()).toEqual(['__proto__', 'constructor', 'plain', 'prototype', 'toString']);
    expect(Object.getOwnPropertyDescriptor(profile.attributes, '__proto__')?.value.value).toBe('a');
    expect(profile.attributes['constructor']?.value).toBe('b');
    expect(({} as Record<string, unknown>)['plain']).toBeUndefined();
    const events = db.events({ userId: 'u-hostile' }).toArray();
    expect(Object.hasOwn(events[0]!.attributes!.set!, '__proto__')).toBe(true);
  });

  it('keeps __proto__ in catalog items (feeds and payloads) as plain data, and verify agrees after a replay', async () => {
    const feed =
      '{"products":[{"product":{"id":"sku-h","title":"T","description":"D","url":"https://x.example/h","image_link":"https://x.example/h.jpg","__proto__":{"p":1},"~__proto__":2}}]}';
    const imported = await db.catalog.importFeed(Buffer.from(feed), { format: 'json' });
    expect(imported.imported).toBe(1);
    await db.ingest(JSON.parse('{"productId":"sku-p","data":{"title":"P","__proto__":{"q":1}}}'));
    const fromFeed = db.catalog.get('sku-h')!;
    expect(Object.getOwnPropertyDescriptor(fromFeed.extra, '__proto__')?.value).toEqual({ p: 1 });
    expect(Object.getOwnPropertyDescriptor(fromFeed.extra, '~__proto__')?.value).toBe(2);
    expect(Object.getOwnPropertyDescriptor(db.catalog.get('sku-p')!.extra, '__proto__')?.value).toEqual({ q: 1 });
    expect((await db.verify()).differences).toEqual([]);
  });

  it('survives a reopen with the hostile keys intact (they round-trip through msgpack)', async () => {
    const path = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'eventdb-hostile-'));
    const disk = await EventDB.open({ path });
    await disk.ingest(JSON.parse(JSON.stringify(event({ eventId: 'h2', userId: 'u2' })).replace('}', ',"attributes":{"set":{"__proto__":{"x":1}}}}')));
    await disk.close();
    const again = await EventDB.open({ path });
    const profile = again.getProfile({ userId: 'u2' })!;
    expect(Object.getOwnPropertyDescriptor(profile.attributes, '__proto__')?.value.value).toEqual({ x: 1 });
    expect(Object.getOwnPropertyDescriptor(again.getEvent('h2')!.attributes!.set!, '__proto__')?.value).toEqual({ x: 1 });
    await again.close();
    (await import('node:fs')).rmSync(path, { recursive: true, force: true });
  });
});

describe('non-JSON values', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular['self'] = circular;
  const cases: [string, unknown, string, string][] = [
    ['a function', { f: () => 1 }, 'NOT_JSON_VALUE', 'data.f'],
    ['a symbol', { s: Symbol('x') }, 'NOT_JSON_VALUE', 'data.s'],
    ['a BigInt', { n: 10n }, 'NOT_JSON_VALUE', 'data.n'],
    ['a Date object', { d: new Date(0) }, 'NOT_JSON_VALUE', 'data.d'],
    ['NaN', { x: Number.NaN }, 'NOT_JSON_VALUE', 'data.x'],
    ['Infinity', { x: Number.POSITIVE_INFINITY }, 'NOT_JSON_VALUE', 'data.x'],
    ['a circular structure', { c: circular }, 'NOT_JSON_VALUE', 'data.c.self'],
    ['a Map', { m: new Map([[1, 2]]) }, 'NOT_JSON_VALUE', 'data.m'],
    [
      'a class instance',
      {
        k: new (class Point {
          x = 1;
        })(),
      },
      'NOT_JSON_VALUE',
      'data.k',
    ],
    ['undefined in an array', { list: [1, undefined] }, 'NOT_JSON_VALUE', 'data.list[1]'],
  ];

  it.each(cases)('rejects %s in data with a code and a path', async (_name, data, code, path) => {
    await expectRejected(event({ data }), code, path);
  });

  it('rejects a record whose getter throws, with a code, and keeps the batch', async () => {
    const trap = event();
    Object.defineProperty(trap, 'data', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    const result = await db.ingestBatch([event(), trap]);
    expect(result.accepted).toBe(1);
    expect(result.rejected[0]!.errors[0]!.code).toBe('NOT_JSON_VALUE');
  });
});
