// Session sets (`session-sets`): the sessions a state counts, front-coded; every sorted set of ids reads back whole.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSessionSet, encodeSessionSet } from '../../src/storage/derived-store.js';

/** Ids as sessions come: a few shared stems with varied tails, any Unicode but NUL (validation refuses it). */
const id = fc
  .tuple(fc.constantFrom('', 'sess_', 'sess_00', '😀', 'é', 'a'.repeat(300)), fc.string({ unit: 'grapheme', maxLength: 12 }))
  .map(([stem, tail]) => (stem + tail).replaceAll('\u0000', ''));

describe('session sets', () => {
  it('read back every sorted set of ids, surrogate pairs and long shared prefixes included', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          id.filter((s) => s !== ''),
          { maxLength: 60 },
        ),
        (ids) => {
          const sorted = [...ids].sort();
          expect(decodeSessionSet(encodeSessionSet(sorted))).toEqual(sorted);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('store sorted ids in fewer bytes than joined ids', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `sess_${(i * 7919).toString(36).padStart(6, '0')}`).sort();
    expect(encodeSessionSet(ids).length).toBeLessThan(0.7 * ids.join('\u0000').length);
  });
});
