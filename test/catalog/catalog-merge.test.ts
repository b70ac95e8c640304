// Through the public API: product payloads and feed imports in any order and batching give the same catalog (seeded, printed).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/dataset.js';
import { EventDB } from '../../src/index.js';
import { jsonBuffer, product } from '../helpers/catalog.js';
import { shuffle } from '../helpers/events.js';

const SEED = Number(process.env['CATALOG_SEED'] ?? 7);
const IDS = ['p0', 'p1', 'p2'];
// Fixed by default while the test below is marked `fails` (a random seed could miss the bug and turn it red).
const FC_SEED = Number(process.env['CATALOG_FC_SEED'] ?? 1);

type Op = { kind: 'payload'; record: Record<string, unknown> } | { kind: 'feed'; id: string; timestamp: string; fields: Record<string, unknown> };

function generate(seed: number): Op[] {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const at = (): string => new Date(Date.UTC(2026, 0, 1, 10, Math.floor(rnd() * 20))).toISOString();
  const ops: Op[] = [];
  for (let i = 0; i < 12 + Math.floor(rnd() * 12); i++) {
    if (rnd() < 0.7) {
      const data: Record<string, unknown> = {};
      if (rnd() < 0.5) data['price'] = pick([1, 2.5, '3 USD', null]);
      if (rnd() < 0.4) data['brand'] = pick(['A', 'B', null]);
      if (rnd() < 0.3) data['title'] = pick(['t1', 't2']);
      if (rnd() < 0.3) data['stock'] = Math.floor(rnd() * 9);
      // Half the payloads name their eventId, half have it derived from content and time.
      const record: Record<string, unknown> = { productId: pick(IDS), timestamp: at(), data };
      if (rnd() < 0.5) record['eventId'] = `w${i}`;
      ops.push({ kind: 'payload', record });
    } else {
      // Each feed item has its own content (rev), so every import writes a record whatever the order.
      ops.push({ kind: 'feed', id: pick(IDS), timestamp: at(), fields: { category: pick(['c1', 'c2']), rev: i, ...(rnd() < 0.5 ? { brand: 'F' } : {}) } });
    }
  }
  return ops;
}

/**
 * Plays `ops` in order; payloads between two imports go in `ingestBatch` calls of up to `batchSize` (1: one
 * `ingest` call each). Returns what the catalog shows.
 */
async function playInBatches(ops: readonly Op[], batchSize: number): Promise<unknown> {
  const db = await EventDB.open({ inMemory: true, clock: () => Date.UTC(2026, 0, 2) });
  try {
    let payloads: unknown[] = [];
    const drain = async (): Promise<void> => {
      if (payloads.length === 1 && batchSize === 1) expect((await db.ingest(payloads[0])).status).not.toBe('rejected');
      else if (payloads.length > 0) expect((await db.ingestBatch(payloads)).rejected).toEqual([]);
      payloads = [];
    };
    for (const op of ops) {
      if (op.kind === 'payload') {
        payloads.push(op.record);
        if (payloads.length >= batchSize) await drain();
      } else {
        await drain();
        await db.catalog.importFeed(jsonBuffer([product(op.id, op.fields as never)]), { timestamp: op.timestamp });
      }
    }
    await drain();
    return await catalogState(db);
  } finally {
    await db.close();
  }
}

async function play(ops: Op[], batched: boolean): Promise<unknown> {
  const db = await EventDB.open({ inMemory: true, clock: () => Date.UTC(2026, 0, 2) });
  try {
    let payloads: unknown[] = [];
    const drain = async (): Promise<void> => {
      if (payloads.length > 0) expect((await db.ingestBatch(payloads)).rejected).toEqual([]);
      payloads = [];
    };
    for (const op of ops) {
      if (op.kind === 'payload' && batched) payloads.push(op.record);
      else if (op.kind === 'payload') expect((await db.ingest(op.record)).status).not.toBe('rejected');
      else {
        await drain();
        await db.catalog.importFeed(jsonBuffer([product(op.id, op.fields as never)]), { timestamp: op.timestamp });
      }
    }
    await drain();
    return await catalogState(db);
  } finally {
    await db.close();
  }
}

/** What a user reads of the catalog, after checking the store verifies clean. */
async function catalogState(db: EventDB): Promise<unknown> {
  expect((await db.verify()).ok).toBe(true);
  return {
    entries: IDS.map((id) => db.catalog.get(id) ?? null),
    query: db.catalog.query({ includeIncomplete: true }).items.map((e) => e.id),
    facets: db.catalog.facets({ includeIncomplete: true }),
    products: db.stats().products,
  };
}

describe('catalog determinism', () => {
  it('payloads and feed items in any order, one by one or batched, give the same catalog', async () => {
    console.log(`catalog merge seed ${SEED} (set CATALOG_SEED to replay)`);
    for (let run = 0; run < 25; run++) {
      const seed = SEED * 1000 + run;
      const ops = generate(seed);
      const expected = await play(ops, false);
      for (const variant of [1, 2]) {
        expect(await play(shuffle(ops, seed + variant), variant === 2), `seed ${seed} variant ${variant}`).toEqual(expected);
      }
    }
  });

  /**
   * Identical re-assertions: the same feed item (same content) imported again at a later time, and payloads with
   * identical contents at different times (A, B, A). Few contents and few distinct times, so repeats are common;
   * every arrival order and batching must give what the time-ordered sequence gives.
   */
  // KNOWN BUG, found by this test (left unfixed: the fix changes a design rule). A feed item identical to one
  // already stored is dropped as a duplicate ("re-importing an unchanged feed writes nothing"), even when it is
  // later: so feed X@10:01, X@10:03 (dropped), payload@10:02 leaves the payload applied, while in time order
  // (X@10:01, payload@10:02, X@10:03) the later re-assertion clears it; updatedAt differs the same way.
  // `it.fails` passes while the bug is there; make these `it` once it is fixed.
  it.fails('an identical feed item re-imported later, then an older payload: same catalog as in time order', async () => {
    const ops = (minutes: number[]): Op[] =>
      minutes.map((m): Op =>
        m === 2
          ? { kind: 'payload', record: { productId: 'p0', timestamp: at(2), data: { brand: 'Payload' } } }
          : { kind: 'feed', id: 'p0', timestamp: at(m), fields: { category: 'c1' } },
      );
    expect(await playInBatches(ops([1, 3, 2]), 1)).toEqual(await playInBatches(ops([1, 2, 3]), 1));
  });

  it.fails(`identical feed items re-imported later and payloads A, B, A give the same catalog in any order and batching (seed ${FC_SEED})`, async () => {
    console.log(`catalog re-assertion seed ${FC_SEED} (set CATALOG_FC_SEED to replay)`);
    const minute = fc.integer({ min: 0, max: 8 });
    const FEED_CONTENTS = [{ category: 'c1', brand: 'F' }, { category: 'c2' }];
    const PAYLOAD_CONTENTS = [{ price: 1, brand: 'A' }, { price: '3 USD' }, { brand: null, title: 't1' }];
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc
        .record({ id: fc.constantFrom('p0', 'p1'), content: fc.nat(FEED_CONTENTS.length - 1), m: minute })
        .map(({ id, content, m }): Op => ({ kind: 'feed', id, timestamp: at(m), fields: { ...FEED_CONTENTS[content]! } })),
      fc
        .record({ id: fc.constantFrom('p0', 'p1'), content: fc.nat(PAYLOAD_CONTENTS.length - 1), m: minute })
        .map(({ id, content, m }): Op => ({ kind: 'payload', record: { productId: id, timestamp: at(m), data: { ...PAYLOAD_CONTENTS[content]! } } })),
    );
    /** Each sequence gets explicit repeats: some of its ops again, identical, at a later time. */
    const withRepeats = fc
      .tuple(fc.array(op, { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 4 }))
      .map(([ops, repeats]) => {
        const out = [...ops];
        for (const [which, later] of repeats) out.push(laterCopy(ops[which % ops.length]!, later));
        return out;
      });
    const timeOf = (o: Op): string => (o.kind === 'feed' ? o.timestamp : (o.record['timestamp'] as string));
    await fc.assert(
      fc.asyncProperty(
        withRepeats.chain((ops) =>
          fc.tuple(fc.constant(ops), fc.shuffledSubarray(ops, { minLength: ops.length, maxLength: ops.length }), fc.integer({ min: 1, max: 4 })),
        ),
        async ([ops, shuffled, batchSize]) => {
          // The reference: in time order (stable, so equal times keep their generated order), one call each.
          const reference = await playInBatches(
            [...ops].sort((a, b) => timeOf(a).localeCompare(timeOf(b))),
            1,
          );
          expect(await playInBatches(shuffled, batchSize)).toEqual(reference);
        },
      ),
      { seed: FC_SEED, numRuns: Number(process.env['CATALOG_FC_RUNS'] ?? 150) },
    );
  });
});

function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();
}

/** The same op, identical content, `minutes` later. */
function laterCopy(op: Op, minutes: number): Op {
  const later = (iso: string): string => new Date(Date.parse(iso) + minutes * 60_000).toISOString();
  return op.kind === 'feed'
    ? { ...op, timestamp: later(op.timestamp) }
    : { kind: 'payload', record: { ...op.record, timestamp: later(op.record['timestamp'] as string) } };
}
