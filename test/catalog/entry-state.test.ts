// The entry merge is order-independent: any permutation of payloads, feed items and removals gives the same stored state.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRecord, decodeState, emptyState, encodeState } from '../../src/catalog/entry-state.js';
import { viewOf } from '../../src/catalog/catalog-entry.js';
import type { JsonObject } from '../../src/schema/json-value.js';
import type { NormalizedRecord } from '../../src/schema/record.js';

const SEED = Number(process.env['CATALOG_SEED'] ?? 424242);

const time = fc.integer({ min: 0, max: 6 }).map((minute) => Date.UTC(2026, 0, 1, 10, minute));
const value = fc.oneof(fc.constantFrom('A', 'B', 'C'), fc.constant(null));
const payload = fc
  .record({
    time,
    data: fc.record(
      {
        title: value,
        brand: value,
        price: fc.oneof(fc.constantFrom(1, 2, '3 EUR'), fc.constant(null)),
        stock: fc.oneof(fc.nat(3), fc.constant(null)),
        note: value,
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ time, data }): Omit<NormalizedRecord, 'eventId'> => ({ kind: 'product', time, productId: 'p', data }));
const feedItem = fc
  .record({
    time,
    title: fc.constantFrom('T1', 'T2'),
    brand: fc.option(fc.constantFrom('X', 'Y'), { nil: undefined }),
    note: fc.option(fc.constant('n'), { nil: undefined }),
  })
  .map(({ time, title, brand, note }): Omit<NormalizedRecord, 'eventId'> => {
    const data: JsonObject = { title, description: 'd', url: 'https://x.test/p', image_link: 'https://x.test/p.jpg' };
    if (brand !== undefined) data['brand'] = brand;
    if (note !== undefined) data['extra'] = { note };
    return { kind: 'feedItem', time, productId: 'p', data };
  });
const removal = time.map((t): Omit<NormalizedRecord, 'eventId'> => ({ kind: 'productRemoval', time: t, productId: 'p' }));

/** Records with distinct eventIds (as the log guarantees), and a permutation of them. */
const scenario = fc
  .array(fc.oneof({ arbitrary: payload, weight: 3 }, { arbitrary: feedItem, weight: 2 }, { arbitrary: removal, weight: 1 }), { minLength: 1, maxLength: 12 })
  .map((records) => records.map((r, i): NormalizedRecord => ({ ...r, eventId: `e${String(i).padStart(2, '0')}` })))
  .chain((records) => fc.tuple(fc.constant(records), fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length })));

function merged(records: readonly NormalizedRecord[]): string {
  const state = emptyState('p');
  for (const record of records) {
    // Through the stored form each time, as the writer does.
    const round = decodeState(encodeState(state));
    applyRecord(round, record);
    Object.assign(state, round);
  }
  return JSON.stringify(encodeState(state));
}

describe('entry state merge', () => {
  it('gives the same stored state for every arrival order', () => {
    console.log(`entry-state seed ${SEED} (set CATALOG_SEED to replay)`);
    fc.assert(
      fc.property(scenario, ([records, shuffled]) => {
        expect(merged(shuffled)).toBe(merged(records));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('a feed item clears older writes and the optional fields it omits; a later payload still applies', () => {
    const at = (minute: number): number => Date.UTC(2026, 0, 1, 10, minute);
    const state = emptyState('p');
    applyRecord(state, { kind: 'product', eventId: 'a', time: at(1), productId: 'p', data: { brand: 'Old', stock: 3 } });
    applyRecord(state, {
      kind: 'feedItem',
      eventId: 'b',
      time: at(2),
      productId: 'p',
      data: { title: 'T', description: 'd', url: 'https://x.test', image_link: 'https://x.test/i' },
    });
    applyRecord(state, { kind: 'product', eventId: 'c', time: at(3), productId: 'p', data: { price: '5 EUR' } });
    expect(viewOf(state)).toMatchObject({ title: 'T', price: { amount: 5, currency: 'EUR' }, extra: {}, missing: [] });
    expect(viewOf(state)?.brand).toBeUndefined();
    applyRecord(state, { kind: 'productRemoval', eventId: 'd', time: at(4), productId: 'p' });
    expect(viewOf(state)).toBeUndefined();
    applyRecord(state, { kind: 'product', eventId: 'e', time: at(5), productId: 'p', data: { title: 'Back' } });
    expect(viewOf(state)).toMatchObject({ title: 'Back', missing: ['description', 'url', 'image_link'] });
  });
});
