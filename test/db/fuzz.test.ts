// Fuzzing ingestBatch with fast-check (seeded, seed printed): arbitrary values and near-valid events never throw,
// every input is accounted for as accepted, duplicate or rejected, and the store verifies clean afterwards.
// Inputs carry own keys named `__proto__` (as JSON.parse makes them) with a `polluted` payload, at top level and
// inside data and attributes, nested: Object.prototype must stay clean, and accepted data comes back as sent.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { hostileAnything, ownObject, pollutedPayload, protoKeyedObject, sortedJson } from '../helpers/hostile.js';

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000_007);
const runs = Number(process.env['FUZZ_RUNS'] ?? 60);

const hostile = hostileAnything(4);

const id = (prefix: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => `${prefix}${n}`) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'anonymous', 'null', '__proto__', 'constructor', 'x\u0000y', 'é'.repeat(300)) },
    { weight: 1, arbitrary: hostile },
  );

const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('2026-02-30T00:00:00Z', '2026-01-01T00:00:00', '2026-01-01', 'yesterday', '2026-01-01T00:00:00+25:00') },
  { weight: 1, arbitrary: hostile },
);

const jsonish = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })) },
  { weight: 3, arbitrary: protoKeyedObject(3) },
  { weight: 1, arbitrary: hostile },
);

/** Records close to valid: right field names, values mostly right, sometimes anything at all. */
const nearValidEvent = fc.record(
  {
    eventId: id('e'),
    profileId: id('p'),
    userId: id('u'),
    sessionId: id('s'),
    accountId: id('a'),
    eventName: fc.oneof(fc.constantFrom('page_view', 'purchase', 'login'), hostile),
    timestamp,
    data: jsonish,
    attributes: fc.oneof(
      fc.record({ set: jsonish, setOnce: jsonish, unset: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }) }, { requiredKeys: [] }),
      hostile,
    ),
    productId: id('sku-'),
    surprise: hostile,
  },
  { requiredKeys: ['eventId', 'sessionId', 'eventName', 'timestamp'] },
);

/** Sometimes a top-level own `__proto__` key too (an unknown field: rejected, and nothing polluted). */
const nearValidWithProto = fc
  .tuple(nearValidEvent, fc.integer({ min: 0, max: 7 }))
  .map(([record, roll]) => (roll === 0 ? ownObject([['__proto__', pollutedPayload()], ...Object.entries(record)]) : record));

const input = fc.oneof({ weight: 5, arbitrary: nearValidWithProto }, { weight: 1, arbitrary: fc.jsonValue() }, { weight: 1, arbitrary: hostile });

const protoInputs = { accepted: 0, topLevel: 0 };

/** No prototype gained a property from the inputs. */
function expectPrototypesClean(): void {
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) expect(Object.getOwnPropertyNames(proto)).not.toContain('polluted');
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(Object.create(null) as object).not.toHaveProperty('polluted');
}

function hasProtoKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasProtoKey);
  return Object.keys(value).some((key) => key === '__proto__' || hasProtoKey((value as Record<string, unknown>)[key]));
}

/**
 * Every input stored by this batch reads back with its data and attributes as sent, `__proto__` keys included
 * (as own properties); an input with a top-level `__proto__` key is rejected as an unknown field.
 */
function checkRoundTrip(batch: readonly unknown[], rejected: readonly { index: number; errors: { code: string; path: string }[] }[], seqBefore: number): void {
  const rejectedAt = new Map(rejected.map((r) => [r.index, r.errors]));
  const seen = new Set<string>();
  batch.forEach((input, index) => {
    const isPlain = typeof input === 'object' && input !== null && !Array.isArray(input) && Object.getPrototypeOf(input) === Object.prototype;
    if (isPlain && Object.hasOwn(input, '__proto__')) {
      protoInputs.topLevel++;
      const errors = rejectedAt.get(index);
      expect(errors).toBeDefined();
      // A record holding a value JSON cannot carry is refused as a whole (NOT_JSON_VALUE) before its fields are named.
      if (!errors!.some((e) => e.code === 'NOT_JSON_VALUE'))
        expect(errors).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_FIELD', path: '__proto__' }));
    }
    if (rejectedAt.has(index) || !isPlain) return;
    const sent = input as Record<string, unknown>;
    const eventId = sent['eventId'];
    if (typeof eventId !== 'string' || seen.has(eventId)) return;
    seen.add(eventId);
    const stored = db.getEvent(eventId) as Record<string, unknown> | undefined;
    expectPrototypesClean();
    if (stored === undefined || (stored['seq'] as number) <= seqBefore) return; // a duplicate of an earlier batch
    expect(sortedJson(stored['data'])).toBe(sortedJson(sent['data']));
    if (sent['attributes'] !== undefined) expect(sortedJson(stored['attributes'])).toBe(sortedJson(sent['attributes']));
    if (hasProtoKey(sent['data']) || hasProtoKey(sent['attributes'])) {
      protoInputs.accepted++;
      if (isPlainObject(sent['data']) && Object.hasOwn(sent['data'], '__proto__')) {
        expect(Object.hasOwn(stored['data'] as object, '__proto__')).toBe(true);
        expect(Object.getPrototypeOf(stored['data'])).toBe(Object.prototype);
      }
    }
  });
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let db: EventDB;

describe(`fuzzed ingestBatch (seed ${seed}, replay with FUZZ_SEED=${seed})`, () => {
  beforeAll(async () => {
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed}), ${runs} runs`);
    db = await EventDB.open({ inMemory: true });
  });
  afterAll(() => db.close());

  it('never throws, accounts for every input, and leaves a store that verifies clean', async () => {
    let inputs = 0;
    let accounted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(input, { maxLength: 40 }), async (batch) => {
        const seqBefore = db.stats().lastSeq;
        const result = await db.ingestBatch(batch);
        expectPrototypesClean();
        expect(result.accepted + result.duplicates + result.rejected.length).toBe(batch.length);
        for (const rejection of result.rejected) {
          expect(rejection.errors.length).toBeGreaterThan(0);
          for (const error of rejection.errors)
            expect(typeof error.code === 'string' && typeof error.path === 'string' && typeof error.message === 'string').toBe(true);
        }
        expectPrototypesClean();
        checkRoundTrip(batch, result.rejected, seqBefore);
        inputs += batch.length;
        accounted += result.accepted + result.duplicates + result.rejected.length;
      }),
      { seed, numRuns: runs },
    );
    expect(accounted).toBe(inputs);
    const stats = db.stats();
    expect(stats.records + stats.duplicates + stats.rejected).toBe(inputs);
    expectPrototypesClean();
    console.log(`inputs carrying __proto__ keys: ${protoInputs.accepted} accepted and read back as sent, ${protoInputs.topLevel} with one at top level`);
    const report = await db.verify();
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('keeps __proto__ keys of valid records as plain data: stored, read back as sent, no prototype touched', async () => {
    let counter = 0;
    const valid = fc
      .record(
        {
          profileId: fc.constantFrom('p1', 'p2', '__proto__'),
          data: protoKeyedObject(4),
          attributes: fc
            .record(
              { set: protoKeyedObject(2), setOnce: protoKeyedObject(2), unset: fc.array(fc.constantFrom('__proto__', '~__proto__', 'x'), { maxLength: 2 }) },
              { requiredKeys: [] },
            )
            .map((update) => {
              // An attribute both set and unset is a CONFLICTING_UPDATE: unset only names the update leaves alone.
              const named = new Set([...Object.keys(update.set ?? {}), ...Object.keys(update.setOnce ?? {})]);
              return update.unset === undefined ? update : { ...update, unset: [...new Set(update.unset)].filter((key) => !named.has(key)) };
            }),
          topLevelProto: fc.boolean(),
        },
        { requiredKeys: ['profileId', 'data', 'topLevelProto'] },
      )
      .map(({ topLevelProto, ...fields }) => {
        const record = { eventId: `proto-${++counter}`, sessionId: 's1', eventName: 'page_view', timestamp: '2026-01-01T10:00:00Z', ...fields };
        return topLevelProto ? ownObject([['__proto__', pollutedPayload()], ...Object.entries(record)]) : record;
      });
    await fc.assert(
      fc.asyncProperty(fc.array(valid, { minLength: 1, maxLength: 20 }), async (batch) => {
        const before = protoInputs.accepted;
        const seqBefore = db.stats().lastSeq;
        const result = await db.ingestBatch(batch);
        const topLevel = batch.filter((input) => Object.hasOwn(input, '__proto__')).length;
        expect(result.rejected).toHaveLength(topLevel);
        expect(result.accepted).toBe(batch.length - topLevel);
        checkRoundTrip(batch, result.rejected, seqBefore);
        expect(protoInputs.accepted - before).toBe(batch.length - topLevel);
        expectPrototypesClean();
      }),
      { seed, numRuns: runs },
    );
    expect(protoInputs.accepted).toBeGreaterThan(0);
    console.log(`valid records carrying __proto__ keys: ${protoInputs.accepted} accepted and read back as sent`);
    expect((await db.verify()).ok).toBe(true);
  });
});
