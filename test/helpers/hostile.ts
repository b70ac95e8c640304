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

/** An object with these own properties, made as JSON.parse makes it: a key `__proto__` is an own data property. */
export function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** What a prototype-pollution attempt carries: `{"__proto__": {"polluted": …}}` in JSON. */
export const pollutedPayload = (): Record<string, unknown> => ownObject([['polluted', true]]);

const protoKey = fc.constantFrom('__proto__', '__proto__', '~__proto__', 'constructor', 'prototype');

/**
 * JSON objects, nested, whose keys are often `__proto__` (own properties, as JSON.parse produces them) with a
 * `polluted` payload, or keys that look escaped (`~__proto__`). Every object made here has at least one
 * `__proto__` key, so an input built from it always carries one.
 */
export function protoKeyedObject(maxDepth = 3): fc.Arbitrary<Record<string, unknown>> {
  const { node } = fc.letrec<{ node: Record<string, unknown>; value: unknown }>((tie) => ({
    node: fc
      .tuple(
        fc.oneof({ weight: 3, arbitrary: fc.constant(null).map(pollutedPayload) }, { weight: 1, arbitrary: tie('value') }),
        fc.array(fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 2, arbitrary: protoKey }), tie('value')), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([proto, entries, at]) => {
        const all: [string, unknown][] = entries.map(([k, v]) => [k, v]);
        all.splice(at % (all.length + 1), 0, ['__proto__', proto]);
        return ownObject(all);
      }),
    value: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      fc.jsonValue({ maxDepth: 1 }),
      fc.constant(null).map(pollutedPayload),
      tie('node'),
      fc.array(tie('value'), { maxLength: 3 }),
    ),
  }));
  return node;
}

/** Own keys of `value` and everything inside it, sorted, so two JSON values with the same content compare equal. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return ownObject(
      Object.keys(v)
        .sort()
        .map((k) => [k, (v as Record<string, unknown>)[k]]),
    );
  });
}
