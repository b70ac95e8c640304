// Catalog field normalisation and feed-item validation: every rule of docs/schema.md#catalog-entries.

import { describe, expect, it } from 'vitest';
import { normalizeField } from '../../src/schema/catalog-fields.js';
import { validateFeedItem } from '../../src/schema/catalog-item.js';
import { validateRecord } from '../../src/schema/validate.js';

const item = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'SKU1',
  title: 'Cotton Hoodie',
  description: 'Soft-touch premium cotton hoodie.',
  url: 'https://shop.test/hoodie',
  image_link: 'https://shop.test/hoodie.jpg',
  ...overrides,
});

const codes = (result: ReturnType<typeof validateFeedItem>): string[] => (result.ok ? [] : result.errors.map((e) => `${e.code}@${e.path}`));

describe('normalizeField', () => {
  it.each([
    ['15.00 USD', { amount: 15, currency: 'USD' }],
    ['15 usd', { amount: 15, currency: 'USD' }],
    ['  9.99EUR ', { amount: 9.99, currency: 'EUR' }],
    ['15.00', { amount: 15 }],
    [15, { amount: 15 }],
    [0, { amount: 0 }],
    [-0, { amount: 0 }],
    [
      { amount: 3, currency: 'gbp' },
      { amount: 3, currency: 'GBP' },
    ],
  ])('price %j → %j', (raw, value) => {
    expect(normalizeField('price', raw)).toEqual({ value });
  });

  it.each([['-1'], [-1], ['$15'], ['15 dollars'], ['1,299.00 USD'], [Number.NaN], [true], [{ amount: '3' }], [{ amount: 3, currency: 'US' }]])(
    'price %j is INVALID_PRICE',
    (raw) => {
      expect(normalizeField('price', raw)).toMatchObject({ code: 'INVALID_PRICE', path: 'price' });
    },
  );

  it.each([
    ['in stock', 'in_stock'],
    ['In Stock', 'in_stock'],
    ['out-of-stock', 'out_of_stock'],
    ['  PREORDER ', 'preorder'],
    ['backorder', 'backorder'],
  ])('availability %j → %j', (raw, value) => {
    expect(normalizeField('availability', raw)).toEqual({ value });
  });

  it('rejects other availabilities', () => {
    expect(normalizeField('availability', 'low_stock')).toMatchObject({ code: 'INVALID_AVAILABILITY' });
    expect(normalizeField('availability', 3)).toMatchObject({ code: 'WRONG_TYPE' });
  });

  it('reads tags as a list or a comma-separated string, trimmed, without blanks or repeats', () => {
    expect(normalizeField('tags', 'a, b ,, a')).toEqual({ value: ['a', 'b'] });
    expect(normalizeField('tags', [' x ', 'y'])).toEqual({ value: ['x', 'y'] });
    expect(normalizeField('tags', [])).toEqual({ clear: true });
    expect(normalizeField('tags', ['a', 3])).toMatchObject({ code: 'WRONG_TYPE', path: 'tags[1]' });
  });

  it('takes ratings from 0 to 5, as numbers or numeric strings', () => {
    expect(normalizeField('rating', '4.5')).toEqual({ value: 4.5 });
    expect(normalizeField('rating', 0)).toEqual({ value: 0 });
    expect(normalizeField('rating', 5.5)).toMatchObject({ code: 'INVALID_RATING' });
    expect(normalizeField('rating', '-1')).toMatchObject({ code: 'INVALID_RATING' });
    expect(normalizeField('rating', 'good')).toMatchObject({ code: 'INVALID_RATING' });
  });

  it('wants absolute http(s) URLs', () => {
    expect(normalizeField('url', ' https://x.test/a ')).toEqual({ value: 'https://x.test/a' });
    for (const bad of ['/relative', 'ftp://x.test/a', 'javascript:alert(1)', 'not a url']) {
      expect(normalizeField('url', bad)).toMatchObject({ code: 'INVALID_URL', path: 'url' });
    }
  });

  it('trims strings; null and blanks mean no value; index values are bounded', () => {
    expect(normalizeField('title', '  Hoodie  ')).toEqual({ value: 'Hoodie' });
    expect(normalizeField('brand', '   ')).toEqual({ clear: true });
    expect(normalizeField('brand', null)).toEqual({ clear: true });
    expect(normalizeField('brand', 'x'.repeat(257))).toMatchObject({ code: 'TOO_LONG' });
    expect(normalizeField('category', 'a\u0000b')).toMatchObject({ code: 'INVALID_CHARACTER' });
    expect(normalizeField('title', 7)).toMatchObject({ code: 'WRONG_TYPE' });
  });

  it('rejects a lone UTF-16 surrogate in any text, and an extra key holding one (INVALID_CHARACTER)', () => {
    const lone = JSON.parse('"a\\udfff"') as string;
    expect(normalizeField('title', lone)).toMatchObject({ code: 'INVALID_CHARACTER', path: 'title' });
    expect(normalizeField('tags', ['ok', lone])).toMatchObject({ code: 'INVALID_CHARACTER', path: 'tags[1]' });
    expect(normalizeField('url', `https://x.test/${lone}`)).toMatchObject({ code: 'INVALID_CHARACTER', path: 'url' });
    expect(validateFeedItem(item({ [lone]: 1 }))).toMatchObject({ ok: false, errors: [{ code: 'INVALID_CHARACTER', path: 'a\\udfff' }] });
    expect(validateFeedItem(item({ color: ['red', lone] }))).toMatchObject({ ok: false, errors: [{ code: 'INVALID_CHARACTER', path: 'color[1]' }] });
  });
});

describe('validateFeedItem', () => {
  it('normalises a full item and keeps unknown fields in extra', () => {
    const result = validateFeedItem(item({ price: '15.00 USD', availability: 'in stock', tags: 'a, b', rating: '4', color: 'red', brand: ' Acme ' }));
    expect(result).toEqual({
      ok: true,
      id: 'SKU1',
      data: {
        title: 'Cotton Hoodie',
        description: 'Soft-touch premium cotton hoodie.',
        url: 'https://shop.test/hoodie',
        image_link: 'https://shop.test/hoodie.jpg',
        price: { amount: 15, currency: 'USD' },
        brand: 'Acme',
        tags: ['a', 'b'],
        availability: 'in_stock',
        rating: 4,
        extra: { color: 'red' },
      },
    });
  });

  it('reports every problem, with the id when it can be read', () => {
    const result = validateFeedItem(item({ title: undefined, description: '  ', url: 'nope', price: 'free', rating: 9 }));
    expect(result.ok).toBe(false);
    expect(result.id).toBe('SKU1');
    expect(codes(result)).toEqual(['MISSING_FIELD@title', 'EMPTY_VALUE@description', 'INVALID_URL@url', 'INVALID_PRICE@price', 'INVALID_RATING@rating']);
  });

  it('reads numeric ids as strings and rejects unusable ones', () => {
    expect(validateFeedItem(item({ id: 42 }))).toMatchObject({ ok: true, id: '42' });
    expect(validateFeedItem(item({ id: ' A1 ' }))).toMatchObject({ ok: true, id: 'A1' });
    expect(codes(validateFeedItem(item({ id: undefined })))).toEqual(['MISSING_FIELD@id']);
    expect(codes(validateFeedItem(item({ id: '' })))).toEqual(['EMPTY_VALUE@id']);
    expect(codes(validateFeedItem(item({ id: 1.5 })))).toEqual(['WRONG_TYPE@id']);
    expect(validateFeedItem(item({ id: 'x'.repeat(300) })).id).toBeUndefined();
  });

  it('rejects what is not an object', () => {
    expect(codes(validateFeedItem('SKU1'))).toEqual(['NOT_AN_OBJECT@']);
    expect(codes(validateFeedItem([item()]))).toEqual(['NOT_AN_OBJECT@']);
  });
});

describe('product payload data', () => {
  const ctx = { placeholders: new Set<string>() };

  it('is checked by the catalog rules at data.<field>; null clears, other keys are free', () => {
    expect(validateRecord({ productId: 'p', data: { price: '12.5 EUR', brand: null, name: 'Wine' } }, ctx).ok).toBe(true);
    const result = validateRecord({ productId: 'p', data: { price: -3, availability: 'low_stock', url: 'x', title: ' ' } }, ctx);
    expect(result.ok ? [] : result.errors.map((e) => `${e.code}@${e.path}`)).toEqual([
      'INVALID_PRICE@data.price',
      'INVALID_AVAILABILITY@data.availability',
      'INVALID_URL@data.url',
      'EMPTY_VALUE@data.title',
    ]);
  });
});
