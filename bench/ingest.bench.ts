// Ingest throughput: eventdb ingestBatch and concurrent ingest() against raw LMDB puts of the same records, same process.
// Run: npm run bench -- [--sizes=100000,1000000] [--concurrent=100000]

import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { open, type RootDatabase } from 'lmdb';
import { Bench } from 'tinybench';
import { benchDirs, storeTask } from './store-tasks.js';
import { EventDB } from '../src/index.js';
import { generateEvents } from '../src/demo/dataset.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    concurrent: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '10000' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const batchSize = Number(values.batch);
const concurrentN = Number(values.concurrent);
const { root, fresh: freshDir } = benchDirs('eventdb-bench-');

/** The floor of this design: the same records, msgpack-encoded by lmdb, keyed by seq, one transactionSync per batch. */
async function rawPuts(events: readonly object[], dir: string): Promise<void> {
  const db: RootDatabase = open({ path: dir, compression: false });
  for (let i = 0; i < events.length; i += batchSize) {
    const end = Math.min(events.length, i + batchSize);
    db.transactionSync(() => {
      for (let j = i; j < end; j++) db.putSync(j + 1, events[j]);
    });
  }
  await db.flushed;
  await db.close();
}

/** eventdb: validate, dedupe, log, indexes (and projections unless `core`); `inFlight` batches issued before awaiting the oldest. */
async function ingestBatches(events: readonly object[], dir: string, inFlight: number, core = false): Promise<void> {
  const db = await EventDB.open({ path: dir }, { projections: !core });
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    pending.push(db.ingestBatch(events.slice(i, i + batchSize)));
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
  await db.close();
}

/** 1,000 callers, each awaiting one durable ingest() at a time, as a web server would issue them. */
async function concurrentIngest(events: readonly object[], dir: string, callers: number): Promise<void> {
  const db = await EventDB.open({ path: dir });
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < events.length) await db.ingest(events[next++]);
  };
  await Promise.all(Array.from({ length: callers }, caller));
  await db.close();
}

/** A profileId with 10k events, homed at one user, re-homed by a late-arriving earlier link: the cost of that one ingest. */
async function relinkCost(): Promise<{ workload: string; events: number; eventsPerSec: number; ratioToRaw: number }[]> {
  const dir = freshDir();
  const db = await EventDB.open({ path: dir });
  const history = Array.from({ length: 10_000 }, (_, i) => ({
    eventId: `h${i}`, profileId: 'device-1', sessionId: `s${i % 50}`, eventName: 'purchase',
    timestamp: new Date(Date.UTC(2026, 0, 2) + i * 1000).toISOString(), data: { amount: i % 100 },
  }));
  await db.ingestBatch(history);
  await db.ingest({ eventId: 'link-late', profileId: 'device-1', userId: 'bob', sessionId: 's', eventName: 'login', timestamp: '2026-01-03T00:00:00Z' });
  const started = performance.now();
  await db.ingest({ eventId: 'link-early', profileId: 'device-1', userId: 'alice', sessionId: 's', eventName: 'login', timestamp: '2026-01-01T00:00:00Z' });
  const relinkMs = performance.now() - started;
  const readStarted = performance.now();
  const profile = db.getProfile('alice');
  const readMs = performance.now() - readStarted;
  console.log(`\nre-link of a profileId with 10,000 events: ${relinkMs.toFixed(2)} ms (durable ingest of the linking event); getProfile after: ${readMs.toFixed(2)} ms, eventCount ${profile?.eventCount}`);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return [{ workload: `re-link of a profileId with 10k events (ms: ${relinkMs.toFixed(2)})`, events: 1, eventsPerSec: Math.round(1000 / relinkMs), ratioToRaw: Number.NaN }];
}

const task = (bench: Bench, name: string, job: (dir: string) => Promise<void>): void => storeTask(bench, name, freshDir, job);

const rows: { workload: string; events: number; eventsPerSec: number; ratioToRaw: number }[] = [];
for (const n of sizes) {
  const events = generateEvents(n);
  const bench = new Bench({ name: `ingest ${n}`, iterations: n >= 1_000_000 ? 1 : 3, time: 0, warmup: false, throws: true });
  task(bench, 'raw lmdb putSync', (dir) => rawPuts(events, dir));
  task(bench, 'core only: ingestBatch, 2 in flight', (dir) => ingestBatches(events, dir, 2, true));
  task(bench, 'with projections: ingestBatch, awaited one by one', (dir) => ingestBatches(events, dir, 1));
  task(bench, 'with projections: ingestBatch, 2 in flight', (dir) => ingestBatches(events, dir, 2));
  await bench.run();
  console.log(`\n${n.toLocaleString()} events, batches of ${batchSize.toLocaleString()}`);
  console.table(bench.table());
  const rate = (name: string): number => {
    const result = bench.getTask(name)?.result;
    return result !== undefined && 'period' in result ? (n / result.period) * 1000 : Number.NaN;
  };
  const raw = rate('raw lmdb putSync');
  for (const t of bench.tasks) rows.push({ workload: t.name, events: n, eventsPerSec: Math.round(rate(t.name)), ratioToRaw: Number((rate(t.name) / raw).toFixed(2)) });
  const core = rate('core only: ingestBatch, 2 in flight');
  console.log(`with projections ÷ core only (2 in flight): ${(rate('with projections: ingestBatch, 2 in flight') / core).toFixed(2)}`);
}

{
  const events = generateEvents(concurrentN, { seed: 7 });
  const bench = new Bench({ name: 'concurrent ingest', iterations: 1, time: 0, warmup: false, throws: true });
  task(bench, 'ingest() x1000 in flight, durable', (dir) => concurrentIngest(events, dir, 1000));
  await bench.run();
  console.table(bench.table());
  const result = bench.tasks[0]?.result;
  if (result !== undefined && 'period' in result) {
    rows.push({ workload: 'ingest() x1000 in flight, durable', events: concurrentN, eventsPerSec: Math.round((concurrentN / result.period) * 1000), ratioToRaw: Number.NaN });
  }
}

rows.push(...(await relinkCost()));

console.log('\nsummary (events/s, ratio to raw lmdb puts of the same records in this run)');
console.table(rows);
rmSync(root, { recursive: true, force: true });
