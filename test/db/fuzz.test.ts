// Fuzzing ingestBatch with fast-check (seeded, seed printed): arbitrary values and near-valid events never throw,
// every input is accounted for as accepted, duplicate or rejected, and the store verifies clean afterwards.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { hostileAnything } from '../helpers/hostile.js';

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

const jsonish = fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })) }, { weight: 1, arbitrary: hostile });

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
    attributes: fc.oneof(fc.record({ set: jsonish, setOnce: jsonish, unset: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }) }, { requiredKeys: [] }), hostile),
    productId: id('sku-'),
    surprise: hostile,
  },
  { requiredKeys: ['eventId', 'sessionId', 'eventName', 'timestamp'] },
);

const input = fc.oneof({ weight: 5, arbitrary: nearValidEvent }, { weight: 1, arbitrary: fc.jsonValue() }, { weight: 1, arbitrary: hostile });

describe(`fuzzed ingestBatch (seed ${seed}, replay with FUZZ_SEED=${seed})`, () => {
  let db: EventDB;
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
        const result = await db.ingestBatch(batch);
        expect(result.accepted + result.duplicates + result.rejected.length).toBe(batch.length);
        for (const rejection of result.rejected) {
          expect(rejection.errors.length).toBeGreaterThan(0);
          for (const error of rejection.errors) expect(typeof error.code === 'string' && typeof error.path === 'string' && typeof error.message === 'string').toBe(true);
        }
        inputs += batch.length;
        accounted += result.accepted + result.duplicates + result.rejected.length;
      }),
      { seed, numRuns: runs },
    );
    expect(accounted).toBe(inputs);
    const stats = db.stats();
    expect(stats.records + stats.duplicates + stats.rejected).toBe(inputs);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const report = await db.verify();
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
