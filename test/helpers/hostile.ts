// Arbitrary values of every kind JavaScript has, JSON or not: what hostile or careless callers can hand the API.

import fc from 'fast-check';

export function hostileAnything(maxDepth?: number): fc.Arbitrary<unknown> {
  return fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    ...(maxDepth === undefined ? {} : { maxDepth }),
  });
}
