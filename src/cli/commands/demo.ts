// `eventdb demo`: ingests a generated dataset into a store and reports what the store made of it.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { EventDB, type BatchResult, type JsonObject } from '../../index.js';
import { generateEvents, type DatasetOptions } from '../../demo/dataset.js';
import { positiveIntegerOption, UsageError, type Command, type CommandContext } from '../command.js';
import { printDemoReport, type DemoReport, type IngestTally } from '../demo-report.js';

const DEFAULT_EVENTS = 200_000;
const BATCH_SIZE = 10_000;
/** Batches issued but not yet awaited: one commits while the next is validated. */
const MAX_IN_FLIGHT = 2;
const SEED = 42;
/** Files LMDB keeps in a store directory; `--fresh` removes nothing else. */
const STORE_FILES = new Set(['data.mdb', 'lock.mdb']);

/** `eventdb demo [--db dir] [--events N] [--fresh] [--json]` */
export const demo: Command = {
  name: 'demo',
  summary: 'ingest a generated dataset and show what the store did with it',
  usage: `Usage: eventdb demo [--db <dir>] [--events <n>] [--fresh] [--json]

Generates a deterministic dataset (5% re-sent events, 1% bad records, a few
product payloads), ingests it in batches of ${BATCH_SIZE.toLocaleString('en-US')} and prints the results.
Run it twice: the second run finds every event already stored.

Options:
  --events <n>  number of events to generate (default ${DEFAULT_EVENTS.toLocaleString('en-US')})
  --fresh       delete the store directory first`,
  options: {
    events: { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
  run: runDemo,
};

async function runDemo(context: CommandContext): Promise<void> {
  if (context.positionals.length > 0) throw new UsageError(`demo takes no arguments, got "${context.positionals[0]}"`);
  const eventCount = positiveIntegerOption(context.values, 'events', DEFAULT_EVENTS);
  const fresh = context.values['fresh'] === true;
  if (fresh) removeStore(context.db);

  const generateStarted = performance.now();
  const products = productPayloads();
  const records = interleave(generateEvents(eventCount, datasetOptions(eventCount)), products);
  const generateMs = performance.now() - generateStarted;

  const db = await EventDB.open({ path: context.db, computed: DEMO_COMPUTED });
  try {
    const recordsBefore = db.stats().records;
    const tally = await ingestAll(db, records);
    const report: DemoReport = {
      db: context.db,
      fresh,
      generated: { events: eventCount, productPayloads: products.length, records: records.length, seed: SEED, generateMs },
      recordsBefore,
      ingest: tally,
      stats: db.stats(),
      quarantined: db.quarantine.count(),
      example: exampleOf(db, records, products[0]!.productId),
    };
    printDemoReport(report, context.json);
  } finally {
    await db.close();
  }
}

/** Scales the population with the event count, so a profile has about ten events at any size. */
function datasetOptions(events: number): DatasetOptions {
  return {
    seed: SEED,
    profiles: Math.max(1, Math.round(events / 10)),
    users: Math.max(1, Math.round(events / 20)),
    sessions: Math.max(1, Math.round((events * 3) / 10)),
    accounts: Math.max(1, Math.round(events / 400)),
    duplicateFraction: 0.05,
    badFraction: 0.01,
  };
}

interface ProductPayload {
  productId: string;
  timestamp: string;
  data: JsonObject;
}

/**
 * A few catalog updates, some re-sent as exact copies (duplicates) and one later price change.
 * Each carries a timestamp: without one the store stamps it with its clock, and the derived
 * eventId (content + time) would differ on every run.
 */
function productPayloads(): ProductPayload[] {
  const at = '2024-01-01T00:00:00.000Z';
  const product = (id: string, title: string, brand: string, category: string, price: string, availability: string, tags: string[]): ProductPayload => ({
    productId: id,
    timestamp: at,
    data: {
      title,
      description: `${title} by ${brand}.`,
      url: `https://shop.example.com/products/${id}`,
      image_link: `https://shop.example.com/images/${id}.jpg`,
      brand,
      category,
      price,
      availability,
      tags,
    },
  });
  const first: ProductPayload[] = [
    product('sku-000042', 'Trail running shoe', 'Northwind', 'shoes', '129.90 EUR', 'in stock', ['running', 'outdoor']),
    product('sku-000108', 'Merino base layer', 'Fjell', 'apparel', '79.00 EUR', 'in stock', ['wool']),
    product('sku-000311', 'Headlamp 400lm', 'Lumen', 'gear', '44.50 EUR', 'preorder', ['night']),
    product('sku-001977', 'Water bottle 750ml', 'Fjell', 'gear', '19.95 EUR', 'out of stock', []),
  ];
  const priceChange: ProductPayload = {
    productId: 'sku-000042',
    timestamp: '2024-01-02T09:30:00.000Z',
    data: { price: '99.90 EUR', availability: 'backorder' },
  };
  return [...first, first[0]!, first[2]!, priceChange, priceChange];
}

/** Spreads the product payloads evenly through the event stream (deterministically). */
function interleave(events: unknown[], products: readonly ProductPayload[]): unknown[] {
  const out = events.slice();
  products.forEach((product, k) => {
    const at = Math.floor(((k + 1) * events.length) / (products.length + 1)) + k;
    out.splice(at, 0, product);
  });
  return out;
}

/** Ingests in batches, keeping at most MAX_IN_FLIGHT `ingestBatch` calls pending. */
async function ingestAll(db: EventDB, records: readonly unknown[]): Promise<IngestTally> {
  const tally: IngestTally = {
    batchSize: BATCH_SIZE,
    maxInFlight: MAX_IN_FLIGHT,
    elapsedMs: 0,
    accepted: 0,
    duplicates: 0,
    conflicts: 0,
    rejected: 0,
    firstRejections: [],
  };
  const pending: { offset: number; result: Promise<BatchResult> }[] = [];
  const started = performance.now();
  try {
    for (let offset = 0; offset < records.length; offset += BATCH_SIZE) {
      pending.push({ offset, result: db.ingestBatch(records.slice(offset, offset + BATCH_SIZE)) });
      if (pending.length >= MAX_IN_FLIGHT) await settleOldest(pending, tally);
    }
    while (pending.length > 0) await settleOldest(pending, tally);
  } catch (err) {
    // Settle the batch still in flight, so its failure does not surface as an unhandled rejection.
    await Promise.allSettled(pending.map((batch) => batch.result));
    throw err;
  }
  tally.elapsedMs = performance.now() - started;
  return tally;
}

async function settleOldest(pending: { offset: number; result: Promise<BatchResult> }[], tally: IngestTally): Promise<void> {
  const { offset, result } = pending.shift()!;
  const batch = await result;
  tally.accepted += batch.accepted;
  tally.duplicates += batch.duplicates;
  tally.conflicts += batch.conflicts.length;
  tally.rejected += batch.rejected.length;
  for (const rejection of batch.rejected) {
    if (tally.firstRejections.length >= 3) break;
    tally.firstRejections.push({ ...rejection, index: offset + rejection.index });
  }
}

/** Computed attributes the demo declares: lifetime value and order count from purchase events. */
const DEMO_COMPUTED = {
  ltv: { op: 'sum', eventName: 'purchase', field: 'price' },
  orders: { op: 'count', eventName: 'purchase' },
} as const;

/** One profile's story: the profile of the first stored event of the dataset, that event, and one product. */
function exampleOf(db: EventDB, records: readonly unknown[], productId: string): DemoReport['example'] {
  // Looked up rather than taken from this run's results, so a re-run (all duplicates) finds the same profile.
  const candidate = records.find((record) => hasProfile(record) && db.getEvent(record.eventId) !== undefined);
  const event = hasProfile(candidate) ? db.getEvent(candidate.eventId) : undefined;
  const profileId = event?.profileId;
  return {
    profileId,
    profile: profileId === undefined ? undefined : db.getProfile({ profileId }),
    events: profileId === undefined ? [] : db.events({ profileId, limit: 10 }).toArray(),
    event,
    product: db.catalog.get(productId),
  };
}

function hasProfile(record: unknown): record is { eventId: string; profileId: string } {
  const fields = record as { eventId?: unknown; profileId?: unknown } | undefined;
  return typeof fields?.eventId === 'string' && typeof fields.profileId === 'string';
}

/** Deletes a store directory, refusing one that holds anything but LMDB's files. */
function removeStore(dir: string): void {
  if (!existsSync(dir)) return;
  const foreign = readdirSync(dir).find((file) => !STORE_FILES.has(file));
  if (foreign !== undefined) {
    throw new Error(`refusing to delete ${dir}: it holds "${foreign}", which is not part of an eventdb store`);
  }
  rmSync(dir, { recursive: true, force: true });
}
