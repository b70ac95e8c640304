import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/dataset.js';
import { stringOrder } from '../../src/storage/string-order.js';

/** What `stringOrder` must return: the indexes by `<` on the strings, equal strings by index. */
const compared = (values: readonly string[]): number[] =>
  values.map((_, i) => i).sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : a - b));

// Characters that tie in the packed proxy (NUL, and codes past 255 capped alike) or straddle its cap.
const alphabet = fc.constantFrom('a', 'b', 'z', '0', '\u0000', '\u00ff', '\u0100', '\u4e2d', '\ud83d', '\ude00', '_');
const word = fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join(''));

describe('stringOrder', () => {
  it('orders like the comparison, ties by index, whatever prefixes, lengths and characters', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.tuple(fc.boolean(), word), { maxLength: 400 }), (prefix, parts) => {
        const values = parts.map(([shared, rest]) => (shared ? prefix + rest : rest));
        expect(Array.from(stringOrder(values))).toEqual(compared(values));
      }),
      { numRuns: 300 },
    );
  });

  it('orders a checkpoint-sized window of ids sharing a prefix, with duplicates', () => {
    const rnd = mulberry32(7);
    const values = Array.from({ length: 70_000 }, () => `sess_${((rnd() * 500_000) | 0).toString(36).padStart(6, '0')}`);
    values.push(...values.slice(0, 100), 'sess_', 'sess', 'sess_\u4e2d', '');
    expect(Array.from(stringOrder(values))).toEqual(compared(values));
  });

  it('orders strings alike beyond any proxy: long shared runs, then a difference at the end', () => {
    const values = Array.from({ length: 500 }, (_, i) => `${'x'.repeat(40)}${i % 7 === 0 ? '\u0101' : '\u0100'}${String(1000 - i)}`);
    expect(Array.from(stringOrder(values))).toEqual(compared(values));
    expect(Array.from(stringOrder([]))).toEqual([]);
  });
});
