// Real catalogs (Magento Luma, WooCommerce sample) as JSON and XML feeds: every valid product is found, every invalid one reported.
// The data is the slice kept in test/fixtures/realdata (see its README.md): nothing outside the repository is read.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { feedText, jsonFeed, xmlFeed, type FeedProduct } from '../fixtures/feed-writers.js';
import { magentoProducts, REALDATA, wooProducts } from '../fixtures/realdata-catalog.js';

const REQUIRED = ['id', 'title', 'description', 'url', 'image_link'];

/** An independent reading of the rules: every required field there and not blank, links absolute http(s). */
function expectedValid(product: FeedProduct): boolean {
  const present = REQUIRED.every((name) => typeof product[name] === 'string' && product[name].trim() !== '');
  return present && [product['url'], product['image_link']].every((link) => /^https?:\/\/[^/]/.test(String(link)));
}

const SOURCES = { 'magento-luma': magentoProducts(), woocommerce: wooProducts() };
const FORMATS = {
  json: (products: FeedProduct[]) => feedText(jsonFeed(products)),
  xml: (products: FeedProduct[]) => feedText(xmlFeed(products, { cdata: ['description'] })),
};

let db: EventDB;
beforeEach(async () => {
  db = await EventDB.open({ inMemory: true, clock: () => Date.UTC(2026, 0, 1) });
});
afterEach(async () => {
  await db.close();
});

/** Every id a query returns, following cursors page by page (pages of 7, so every group of the slices spans several). */
function allIds(query: { category?: string; brand?: string }): string[] {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = db.catalog.query({ ...query, limit: 7, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.items.map((item) => item.id));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids;
}

describe.each(Object.entries(SOURCES))('the %s catalog', (source, products) => {
  it('maps to a sizeable feed with valid and invalid products', () => {
    expect(products.filter(expectedValid).length).toBeGreaterThan(10);
    expect(products.some((p) => !expectedValid(p))).toBe(true);
  });

  it.each(Object.keys(FORMATS))('imports as %s: each valid product is queryable by category and brand, each invalid one is reported', async (format) => {
    const text = FORMATS[format as keyof typeof FORMATS](products);
    const result = await db.catalog.importFeed(Buffer.from(text));
    const valid = products.filter(expectedValid);
    expect(result).toMatchObject({ format, read: products.length, imported: valid.length, unchanged: 0, removed: 0 });
    expect(result.error).toBeUndefined();
    const invalidIndexes = products.flatMap((p, index) => (expectedValid(p) ? [] : [index]));
    expect(result.rejected.map((r) => r.index)).toEqual(invalidIndexes);
    for (const rejected of result.rejected) {
      expect(rejected.id).toBe(products[rejected.index]!['id']);
      expect(rejected.errors.length).toBeGreaterThan(0);
      for (const error of rejected.errors) expect(error).toEqual({ code: expect.any(String), path: expect.any(String), message: expect.any(String) });
    }
    const groups = new Map<string, Set<string>>();
    for (const p of valid) {
      const key = JSON.stringify([p['category'], p['brand']]);
      groups.set(key, (groups.get(key) ?? new Set()).add(p['id'] as string));
    }
    for (const [key, ids] of groups) {
      const [category, brand] = JSON.parse(key) as [string, string];
      const found = allIds({ category, brand });
      expect(new Set(found).size, `${source} ${key}`).toBe(found.length);
      expect(new Set(found), `${source} ${key}`).toEqual(ids);
    }
    expect(db.stats().products).toBe(valid.length);
    expect((await db.verify()).ok).toBe(true);
  });
});

describe('the raw WooCommerce export', () => {
  it('is not a catalog feed: the import stops with MALFORMED_FEED and imports nothing', async () => {
    const raw = readFileSync(join(REALDATA, 'woocommerce-sample-products', 'sample_products.xml'));
    const result = await db.catalog.importFeed(raw);
    expect(result).toMatchObject({ format: 'xml', read: 0, imported: 0, error: { code: 'MALFORMED_FEED' } });
    expect(result.error!.message).toMatch(/root element is <rss>/);
  });
});
