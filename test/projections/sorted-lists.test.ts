import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addNameCount } from '../../src/projections/name-counts.js';
import { insertSorted, SHORT } from '../../src/projections/sorted-set.js';

// The window's lists are replaced while short (exactly sized) and grown in place after: either way sorted and unique.
describe('sorted lists of the fold', () => {
  const ids = fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 * SHORT });

  it('insertSorted keeps a sorted set of what was inserted, across the short and the grown lists', () => {
    fc.assert(
      fc.property(ids, (values) => {
        let list: string[] = [];
        for (const value of values) list = insertSorted(list, value);
        expect(list).toEqual([...new Set(values)].sort());
      }),
    );
  });

  it('addNameCount keeps the counts per name, names sorted', () => {
    fc.assert(
      fc.property(ids, (names) => {
        let counts: (string | number)[] = [];
        for (const name of names) counts = addNameCount(counts, name, 1);
        const expected = new Map<string, number>();
        for (const name of names) expected.set(name, (expected.get(name) ?? 0) + 1);
        expect(counts).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flat());
      }),
    );
  });
});
