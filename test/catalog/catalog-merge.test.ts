// Through the public API: product payloads and feed imports in any order and batching give the same catalog (seeded, printed).

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/dataset.js';
import { EventDB } from '../../src/index.js';
import { jsonBuffer, product } from '../helpers/catalog.js';
import { shuffle } from '../helpers/events.js';

const SEED = Number(process.env['CATALOG_SEED'] ?? 7);
const IDS = ['p0', 'p1', 'p2'];

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
    expect((await db.verify()).ok).toBe(true);
    return {
      entries: IDS.map((id) => db.catalog.get(id) ?? null),
      query: db.catalog.query({ includeIncomplete: true }).items.map((e) => e.id),
      facets: db.catalog.facets({ includeIncomplete: true }),
      products: db.stats().products,
    };
  } finally {
    await db.close();
  }
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
});
