// catalog.query and catalog.facets against a brute-force oracle over random catalogs (seeded, printed), paging every match exactly once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB, type CatalogQuery } from '../../src/index.js';
import type { FeedProduct } from '../fixtures/feed-writers.js';
import { jsonBuffer, product } from '../helpers/catalog.js';
import { mulberry32 } from '../../src/demo/dataset.js';

const SEED = Number(process.env['CATALOG_SEED'] ?? 20260301);
const CATEGORIES = ['shoes', 'hats', 'bags', 'Men/Tops', 'Women/Tops & Tanks'];
const BRANDS = ['Acme', 'Globex', 'Initech', 'Umbrella'];
const TAGS = ['red', 'blue', 'sale', 'new', 'eco', 'wool'];
const AVAILABILITY = ['in_stock', 'out_of_stock', 'preorder', 'backorder'];

const rng = mulberry32;
const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

interface Row {
  id: string;
  category?: string;
  brand?: string;
  tags: string[];
  availability?: string;
  price?: number;
  complete: boolean;
}

function randomRows(rnd: () => number, n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `sku-${String(i).padStart(4, '0')}`,
    category: rnd() < 0.9 ? pick(rnd, CATEGORIES) : undefined,
    brand: rnd() < 0.9 ? pick(rnd, BRANDS) : undefined,
    tags: TAGS.filter(() => rnd() < 0.3),
    availability: rnd() < 0.8 ? pick(rnd, AVAILABILITY) : undefined,
    // Whole and half prices collide often, so ties on price are ordered by id.
    price: rnd() < 0.85 ? Math.floor(rnd() * 40) / 2 : undefined,
    complete: rnd() < 0.9,
  }));
}

function feedProduct(row: Row): FeedProduct {
  const { id, category, brand, tags, availability, price } = row;
  return product(id, { category, brand, tags: tags.length > 0 ? tags : undefined, availability: availability?.replace('_', ' '), price });
}

function oracle(rows: Row[], q: CatalogQuery): string[] {
  return rows
    .filter((r) => (q.includeIncomplete === true || r.complete) && (q.category === undefined || r.category === q.category))
    .filter((r) => (q.brand === undefined || r.brand === q.brand) && (q.tag === undefined || r.tags.includes(q.tag)))
    .filter((r) => q.availability === undefined || r.availability === q.availability)
    .filter(
      (r) =>
        (q.priceMin === undefined && q.priceMax === undefined) ||
        (r.price !== undefined && r.price >= (q.priceMin ?? -Infinity) && r.price <= (q.priceMax ?? Infinity)),
    )
    .sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity) || (a.id < b.id ? -1 : 1))
    .map((r) => r.id);
}

function randomQuery(rnd: () => number): CatalogQuery {
  const q: CatalogQuery = {};
  if (rnd() < 0.5) q.category = pick(rnd, CATEGORIES);
  if (rnd() < 0.4) q.brand = pick(rnd, BRANDS);
  if (rnd() < 0.3) q.tag = pick(rnd, TAGS);
  if (rnd() < 0.3) q.availability = pick(rnd, AVAILABILITY);
  if (rnd() < 0.4) q.priceMin = Math.floor(rnd() * 40) / 2;
  if (rnd() < 0.4) q.priceMax = Math.floor(rnd() * 40) / 2;
  if (rnd() < 0.3) q.includeIncomplete = true;
  return q;
}

let db: EventDB;
let rows: Row[];

beforeAll(async () => {
  console.log(`catalog query seed ${SEED} (set CATALOG_SEED to replay)`);
  rows = randomRows(rng(SEED), 600);
  db = await EventDB.open({ inMemory: true, clock: () => Date.UTC(2026, 0, 1) });
  const result = await db.catalog.importFeed(jsonBuffer(rows.filter((r) => r.complete).map(feedProduct)), { batchSize: 97 });
  expect(result.rejected).toEqual([]);
  // Incomplete entries come from payloads only: no description, url or image.
  for (const row of rows.filter((r) => !r.complete)) {
    const { description: _d, url: _u, image_link: _i, id: _id, ...data } = feedProduct(row);
    await db.ingest({ productId: row.id, timestamp: '2026-01-01T00:00:00Z', data });
  }
});
afterAll(async () => {
  await db.close();
});

/** Every id of a query, page by page, with pages of `limit`. */
function paged(q: CatalogQuery, limit: number): string[] {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = db.catalog.query({ ...q, limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((e) => e.id));
    if (page.cursor === undefined) return ids;
    expect(page.items.length, 'a page with a cursor is full').toBe(limit);
    cursor = page.cursor;
  }
  throw new Error('paging did not end');
}

describe('catalog.query', () => {
  it('answers 300 random filter combinations exactly as the oracle, paging each match exactly once', () => {
    const rnd = rng(SEED + 1);
    for (let i = 0; i < 300; i++) {
      const q = randomQuery(rnd);
      const limit = 1 + Math.floor(rnd() * 60);
      expect(paged(q, limit), `seed ${SEED} query ${i}: ${JSON.stringify(q)} limit ${limit}`).toEqual(oracle(rows, q));
    }
  });

  it('returns full entries, priceMin and priceMax inclusive', () => {
    const priced = rows.find((r) => r.complete && r.price !== undefined)!;
    const { items } = db.catalog.query({ priceMin: priced.price, priceMax: priced.price, limit: 1000 });
    expect(items.map((e) => e.id)).toContain(priced.id);
    expect(items.every((e) => e.price?.amount === priced.price && e.missing.length === 0)).toBe(true);
  });

  it('accepts spaced availability forms and rejects malformed queries', () => {
    expect(db.catalog.query({ availability: 'in stock', limit: 1000 }).items.map((e) => e.id)).toEqual(
      oracle(rows, { availability: 'in_stock' }).slice(0, 1000),
    );
    for (const bad of [
      { color: 'red' },
      { category: '' },
      { priceMin: '3' },
      { limit: 0 },
      { limit: 1001 },
      { cursor: '!!' },
      { cursor: 'AA' },
      { availability: 'soon' },
      { includeIncomplete: 'yes' },
    ]) {
      expect(() => db.catalog.query(bad as CatalogQuery), JSON.stringify(bad)).toThrowError(expect.objectContaining({ code: 'INVALID_QUERY' }));
    }
  });
});

describe('catalog.facets', () => {
  const count = (list: Row[], field: 'category' | 'brand' | 'availability'): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const row of list) if (row[field] !== undefined) out[row[field]] = (out[row[field]] ?? 0) + 1;
    return out;
  };

  it('counts values over all entries and over the matches of random filters', () => {
    const rnd = rng(SEED + 2);
    const queries: CatalogQuery[] = [{}, { includeIncomplete: true }, ...Array.from({ length: 40 }, () => randomQuery(rnd))];
    for (const q of queries) {
      const ids = new Set(oracle(rows, q));
      const matching = rows.filter((r) => ids.has(r.id));
      expect(db.catalog.facets(q), `seed ${SEED} ${JSON.stringify(q)}`).toEqual({
        category: count(matching, 'category'),
        brand: count(matching, 'brand'),
        availability: count(matching, 'availability'),
      });
    }
  });

  it('takes no paging options', () => {
    expect(() => db.catalog.facets({ limit: 3 } as never)).toThrowError(expect.objectContaining({ code: 'INVALID_QUERY' }));
  });
});
