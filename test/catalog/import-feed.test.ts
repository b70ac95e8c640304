// catalog.importFeed end to end on real LMDB: sources, formats, modes, re-imports, malformed feeds, progress.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type ImportProgress } from '../../src/index.js';
import { jsonBuffer, product, streamOf, xmlBuffer } from '../helpers/catalog.js';

let db: EventDB;
let now = Date.UTC(2026, 2, 1);
const dir = mkdtempSync(join(tmpdir(), 'eventdb-feeds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  now = Date.UTC(2026, 2, 1);
  db = await EventDB.open({ inMemory: true, clock: () => now });
});
afterEach(async () => {
  await db.close();
});

const ids = (n: number, prefix = 'p'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('importFeed sources and formats', () => {
  const products = [
    product('a', { brand: 'Acme', category: 'shoes', price: '15.00 USD', tags: ['x', 'y'], availability: 'in stock', rating: 4.5, color: 'red' }),
    product('b'),
  ];
  const expected = {
    id: 'a',
    title: 'Product a',
    description: 'The a.',
    url: 'https://shop.test/p/a',
    image_link: 'https://shop.test/p/a.jpg',
    brand: 'Acme',
    category: 'shoes',
    price: { amount: 15, currency: 'USD' },
    tags: ['x', 'y'],
    availability: 'in_stock',
    rating: 4.5,
    extra: { color: 'red' },
    missing: [],
    updatedAt: '2026-03-01T00:00:00.000Z',
  };
  const sources = {
    'a file path': (data: Buffer) => {
      const path = join(dir, `feed-${Math.random().toString(36).slice(2)}`);
      writeFileSync(path, data);
      return path;
    },
    'a Buffer': (data: Buffer) => data,
    'a readable stream': (data: Buffer) => streamOf(data, 13),
  };
  for (const [kind, make] of Object.entries(sources)) {
    for (const [format, data] of [
      ['json', jsonBuffer(products)],
      ['xml', xmlBuffer(products)],
    ] as const) {
      it(`imports ${format} from ${kind}, detecting the format`, async () => {
        const result = await db.catalog.importFeed(make(data));
        expect(result).toEqual({ format, read: 2, imported: 2, unchanged: 0, removed: 0, rejected: [] });
        expect(db.catalog.get('a')).toEqual(expected);
        expect(db.stats()).toMatchObject({ products: 2, feedItems: 2, events: 0, profiles: 0 });
        expect((await db.verify()).ok).toBe(true);
      });
    }
  }

  it('takes an explicit format, and reads XML with a BOM and comma-separated tags', async () => {
    const xml = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), xmlBuffer([product('a', { tags: ['x', 'y'] })], { tags: 'comma' })]);
    expect(await db.catalog.importFeed(xml, { format: 'xml' })).toMatchObject({ format: 'xml', imported: 1 });
    expect(db.catalog.get('a')?.tags).toEqual(['x', 'y']);
    const wrong = await db.catalog.importFeed(jsonBuffer([product('b')]), { format: 'xml' });
    expect(wrong.error).toMatchObject({ code: 'MALFORMED_FEED', message: 'malformed XML: text data outside of root node.' });
  });

  it('reads gzip feeds, told by their first bytes, and reports a corrupt one as malformed', async () => {
    const path = join(dir, 'feed.json.gz');
    writeFileSync(path, gzipSync(jsonBuffer([product('a')])));
    expect(await db.catalog.importFeed(path)).toMatchObject({ format: 'json', imported: 1 });
    expect(await db.catalog.importFeed(streamOf(gzipSync(xmlBuffer([product('b')])), 1))).toMatchObject({ format: 'xml', imported: 1 });
    const corrupt = gzipSync(jsonBuffer([product('c')])).subarray(0, 30);
    expect((await db.catalog.importFeed(corrupt)).error).toMatchObject({ code: 'MALFORMED_FEED', message: expect.stringMatching(/not valid gzip/) });
    expect((await db.catalog.importFeed(corrupt, { format: 'json' })).error).toMatchObject({ code: 'MALFORMED_FEED' });
  });

  it('logs each feed item as a record, found by productId', async () => {
    await db.catalog.importFeed(jsonBuffer([product('a')]));
    const [record] = db.events({ productId: 'a' });
    expect(record).toMatchObject({ kind: 'feedItem', productId: 'a', time: now, data: { title: 'Product a' } });
    expect(record!.eventId).toMatch(/^f-[0-9a-f]{32}$/);
  });

  it('rejects bad sources and options with EventDBErrors', async () => {
    await expect(db.catalog.importFeed(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(db.catalog.importFeed(42 as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(db.catalog.importFeed(Buffer.from('{}'), { mode: 'sync' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(db.catalog.importFeed(Buffer.from('{}'), { timestamp: '2026-01-01' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await db.catalog.importFeed(Buffer.from(''))).error).toMatchObject({ code: 'MALFORMED_FEED' });
  });
});

describe('importFeed validation and malformed feeds', () => {
  it('reports every invalid item with its index, id and errors, and imports the rest', async () => {
    const feed = [product('ok1'), product('bad1', { url: 'nope' }), { title: 'no id' }, product('ok2'), product('bad2', { price: '-5' })];
    const result = await db.catalog.importFeed(jsonBuffer(feed));
    expect(result.imported).toBe(2);
    expect(result.rejected.map((r) => [r.index, r.id, r.errors.map((e) => e.code)])).toEqual([
      [1, 'bad1', ['INVALID_URL']],
      [2, undefined, ['MISSING_FIELD', 'MISSING_FIELD', 'MISSING_FIELD', 'MISSING_FIELD']],
      [4, 'bad2', ['INVALID_PRICE']],
    ]);
    expect(db.catalog.get('bad1')).toBeUndefined();
  });

  it('stops a malformed XML feed at the error; the batches before it stay imported', async () => {
    const good = ids(25).map(
      (id) =>
        `<product><id>${id}</id><title>T</title><description>D</description><url>https://x.test/${id}</url><image_link>https://x.test/${id}.jpg</image_link></product>`,
    );
    const xml = `<catalog><products>\n${good.join('\n')}\n<product><id>bad</id><title>T</title></description></product>\n<product><id>late</id></product></products></catalog>`;
    const result = await db.catalog.importFeed(streamOf(xml, 50), { batchSize: 10 });
    expect(result).toMatchObject({ read: 25, imported: 25, error: { code: 'MALFORMED_FEED', line: 27, column: 51 } });
    expect(result.error!.message).toMatch(/malformed XML/);
    expect(db.catalog.get('p24')).toBeDefined();
    expect(db.catalog.get('late')).toBeUndefined();
  });
});

describe('re-imports and merge with payloads', () => {
  it('re-importing an unchanged feed writes nothing', async () => {
    const feed = jsonBuffer(ids(30).map((id) => product(id, { price: 3 })));
    expect((await db.catalog.importFeed(feed)).imported).toBe(30);
    const records = db.stats().records;
    now += 86_400_000;
    expect(await db.catalog.importFeed(feed)).toMatchObject({ imported: 0, unchanged: 30 });
    expect(await db.catalog.importFeed(xmlBuffer(ids(30).map((id) => product(id, { price: '3' }))))).toMatchObject({ imported: 0, unchanged: 30 });
    expect(db.stats()).toMatchObject({ records, duplicates: 0, conflicts: 0 });
  });

  it('a feed item clears the optional fields it omits; payloads are partial and merge by latest write', async () => {
    await db.catalog.importFeed(jsonBuffer([product('a', { brand: 'Acme', price: 10, note: 'x' })]));
    await db.ingest({ productId: 'a', timestamp: '2026-03-02T00:00:00Z', data: { price: '12 EUR', stock: 4 } });
    expect(db.catalog.get('a')).toMatchObject({ brand: 'Acme', price: { amount: 12, currency: 'EUR' }, extra: { note: 'x', stock: 4 } });
    // An older payload loses to the feed item; a later feed item without brand clears it (and the payload's fields).
    await db.ingest({ productId: 'a', timestamp: '2026-02-01T00:00:00Z', data: { brand: 'Old', title: 'Older' } });
    expect(db.catalog.get('a')).toMatchObject({ brand: 'Acme', title: 'Product a' });
    now = Date.UTC(2026, 2, 3);
    await db.catalog.importFeed(jsonBuffer([product('a', { category: 'hats' })]));
    const entry = db.catalog.get('a')!;
    expect(entry).toMatchObject({ category: 'hats', extra: {}, missing: [] });
    expect(entry.brand).toBeUndefined();
    expect(entry.price).toBeUndefined();
    expect((await db.verify()).ok).toBe(true);
  });

  it('an unchanged item is written again when payloads changed the entry since (A, B, A leaves A)', async () => {
    const feed = jsonBuffer([product('a', { price: 10 })]);
    await db.catalog.importFeed(feed);
    now += 1000;
    await db.ingest({ productId: 'a', data: { price: 12 } });
    now += 1000;
    expect(await db.catalog.importFeed(feed)).toMatchObject({ imported: 1, unchanged: 0 });
    expect(db.catalog.get('a')?.price).toEqual({ amount: 10 });
    expect(await db.catalog.importFeed(feed)).toMatchObject({ imported: 0, unchanged: 1 });
    expect(db.stats().feedItems).toBe(2);
  });

  it('an entry made by payloads only lists what it lacks and is left out of queries unless asked', async () => {
    await db.ingest({ productId: 'x', data: { title: 'X', category: 'hats', price: 5 } });
    expect(db.catalog.get('x')).toMatchObject({ title: 'X', missing: ['description', 'url', 'image_link'] });
    expect(db.catalog.query({ category: 'hats' }).items).toEqual([]);
    expect(db.catalog.query({ category: 'hats', includeIncomplete: true }).items.map((e) => e.id)).toEqual(['x']);
    await db.ingest({ productId: 'x', data: { description: 'D', url: 'https://x.test/x', image_link: 'https://x.test/x.jpg' } });
    expect(db.catalog.query({ category: 'hats' }).items.map((e) => e.id)).toEqual(['x']);
    expect(db.stats().products).toBe(1);
  });
});

describe('replace mode', () => {
  it('removes the entries the feed does not list, counting an invalid item with a readable id as present', async () => {
    await db.catalog.importFeed(jsonBuffer(ids(10).map((id) => product(id))));
    await db.ingest({ productId: 'payload-only', data: { title: 'P' } });
    now += 1000;
    const feed = [...ids(8).map((id) => product(id)), product('p8', { url: 'broken' })];
    const result = await db.catalog.importFeed(jsonBuffer(feed), { mode: 'replace', batchSize: 3 });
    expect(result).toMatchObject({ imported: 0, unchanged: 8, removed: 2, rejected: [{ index: 8, id: 'p8' }] });
    expect(db.catalog.get('p8')).toBeDefined();
    expect(db.catalog.get('p9')).toBeUndefined();
    expect(db.catalog.get('payload-only')).toBeUndefined();
    expect(
      db
        .events({ productId: 'p9' })
        .toArray()
        .map((r) => r.kind),
    ).toEqual(['feedItem', 'productRemoval']);
    expect(db.stats()).toMatchObject({ products: 9, productRemovals: 2 });
    expect((await db.verify()).ok).toBe(true);
  });

  it('refuses to remove more than half of the catalog unless allowMassRemoval', async () => {
    await db.catalog.importFeed(jsonBuffer(ids(10).map((id) => product(id))));
    now += 1000;
    const truncated = jsonBuffer(ids(4).map((id) => product(id)));
    const refused = await db.catalog.importFeed(truncated, { mode: 'replace' });
    expect(refused).toMatchObject({ removed: 0, unchanged: 4, error: { code: 'MASS_REMOVAL_REFUSED' } });
    expect(refused.error!.message).toMatch(/remove 6 of the 10/);
    expect(db.stats().products).toBe(10);
    const allowed = await db.catalog.importFeed(truncated, { mode: 'replace', allowMassRemoval: true });
    expect(allowed).toMatchObject({ removed: 6 });
    expect(db.stats().products).toBe(4);
  });

  it('removes nothing when the feed is malformed', async () => {
    await db.catalog.importFeed(jsonBuffer(ids(4).map((id) => product(id))));
    const text = jsonBuffer(ids(2).map((id) => product(id)))
      .toString()
      .slice(0, -5);
    const result = await db.catalog.importFeed(Buffer.from(text), { mode: 'replace', allowMassRemoval: true });
    expect(result.error).toMatchObject({ code: 'MALFORMED_FEED' });
    expect(result.removed).toBe(0);
    expect(db.stats().products).toBe(4);
  });

  it('a product removed and later sent again comes back', async () => {
    await db.catalog.importFeed(jsonBuffer([product('a'), product('b')]));
    now += 1000;
    await db.catalog.importFeed(jsonBuffer([product('a')]), { mode: 'replace' });
    expect(db.catalog.get('b')).toBeUndefined();
    now += 1000;
    expect(await db.catalog.importFeed(jsonBuffer([product('a'), product('b')]))).toMatchObject({ imported: 1, unchanged: 1 });
    expect(db.catalog.get('b')).toMatchObject({ title: 'Product b' });
    expect((await db.verify()).ok).toBe(true);
  });
});

describe('progress', () => {
  it('reports running totals after each batch and at the end', async () => {
    const seen: ImportProgress[] = [];
    const feed = [...ids(7).map((id) => product(id)), { id: 'bad' }];
    await db.catalog.importFeed(jsonBuffer(feed), { batchSize: 3, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.imported)).toEqual([3, 6, 7, 7]);
    expect(seen.at(-1)).toEqual({ read: 8, imported: 7, unchanged: 0, rejected: 1, removed: 0 });
  });
});
