// Bulk file ingest: ingestFile with 1, 2 and 4 workers next to single-threaded ingestBatch of the same records and the bare read + JSON.parse; peak RSS as the file grows.
// Run: npm run bench:file -- [--lines=1000000] [--workers=1,2,4] [--rss=100000,2000000]

import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { benchDirs, storeTask } from './store-tasks.js';
import { EventDB } from '../src/index.js';
import { generateEvents } from '../src/demo/dataset.js';
import { openFileSource } from '../src/ingest/bulk/file-source.js';
import { ndjsonChunks } from '../src/ingest/bulk/ndjson-lines.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    workers: { type: 'string', default: '1,2,4' },
    rss: { type: 'string', default: '100000,2000000' },
    'child-rss': { type: 'string' },
  },
});
const BATCH = 5_000;
const { root, fresh: freshDir } = benchDirs('eventdb-bench-file-');

if (values['child-rss'] !== undefined) {
  await rssChild(values['child-rss']);
  process.exit(0);
}

/** Writes `n` generated events (seed 42 in blocks) as NDJSON, never holding more than one block. */
async function writeEventsFile(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  const block = 100_000;
  for (let done = 0; done < n; done += block) {
    const events = generateEvents(Math.min(block, n - done), { seed: 42 + done, startMs: Date.UTC(2024, 0, 1) + done * 20 });
    if (!out.write(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/** Reads the file as ingestFile does, in chunks of lines; `use` gets each chunk's parsed records. */
async function readParsed(path: string, use: (records: unknown[]) => Promise<void> | void): Promise<void> {
  const source = await openFileSource(path);
  for await (const chunk of ndjsonChunks(source.stream, BATCH)) await use(chunk.lines.map((line) => JSON.parse(line) as unknown));
}

/** Single-threaded: read, JSON.parse and ingestBatch, two batches in flight (as the demo does). */
async function parseAndIngestBatch(path: string, dir: string): Promise<void> {
  const db = await EventDB.open({ path: dir });
  const pending: Promise<unknown>[] = [];
  await readParsed(path, async (records) => {
    pending.push(db.ingestBatch(records));
    if (pending.length >= 2) await pending.shift();
  });
  await Promise.all(pending);
  await db.close();
}

async function ingestBatches(records: readonly unknown[], dir: string, projections: boolean): Promise<void> {
  const db = await EventDB.open({ path: dir }, { projections });
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < records.length; i += BATCH) {
    pending.push(db.ingestBatch(records.slice(i, i + BATCH)));
    if (pending.length >= 2) await pending.shift();
  }
  await Promise.all(pending);
  await db.close();
}

async function ingestFile(path: string, dir: string, workers: number, projections = true): Promise<void> {
  const db = await EventDB.open({ path: dir }, { projections });
  await db.ingestFile(path, { workers, batchSize: BATCH });
  await db.close();
}

const task = (bench: Bench, name: string, job: (dir: string) => Promise<void>): void => storeTask(bench, name, freshDir, job);

function ratesOf(bench: Bench, n: number): Map<string, number> {
  const rates = new Map<string, number>();
  for (const t of bench.tasks) {
    const result = t.result;
    rates.set(t.name, result !== undefined && 'period' in result ? (n / result.period) * 1000 : Number.NaN);
  }
  return rates;
}

/** Linux: the anonymous part of RSS (heaps, buffers), without LMDB's file-backed mmap pages; undefined elsewhere. */
function rssAnonBytes(): number | undefined {
  try {
    const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Child mode: ingest a file with 2 workers while sampling RSS every 20 ms; prints the peaks. */
async function rssChild(file: string): Promise<void> {
  const peak = { rss: 0, anon: 0 };
  const sample = (): void => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    peak.anon = Math.max(peak.anon, rssAnonBytes() ?? 0);
  };
  sample();
  const base = { ...peak };
  const timer = setInterval(sample, 20);
  const db = await EventDB.open({ path: freshDir() });
  const result = await db.ingestFile(file, { workers: 2, batchSize: BATCH });
  const bytesOnDisk = db.stats().bytesOnDisk;
  await db.close();
  clearInterval(timer);
  rmSync(root, { recursive: true, force: true });
  const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
  process.stdout.write(
    `${JSON.stringify({
      eventsPerSec: Math.round(result.lines / (result.elapsedMs / 1000)),
      startRssMB: mb(base.rss),
      peakRssMB: mb(peak.rss),
      startAnonMB: mb(base.anon),
      peakAnonMB: mb(peak.anon),
      storeMB: mb(bytesOnDisk),
    })}\n`,
  );
}

const n = Number(values.lines);
const file = join(root, 'events.ndjson');
await writeEventsFile(file, n);
const rows: { workload: string; events: number; eventsPerSec: number; ratioToSingleThread: number }[] = [];

const fileBench = new Bench({ name: 'file', iterations: 1, time: 0, warmup: false, throws: true });
task(fileBench, 'read + JSON.parse only (no store)', async () => readParsed(file, () => undefined));
task(fileBench, 'single thread: read + JSON.parse + ingestBatch', (dir) => parseAndIngestBatch(file, dir));
for (const workers of values.workers.split(',').map(Number)) task(fileBench, `ingestFile, ${workers} workers`, (dir) => ingestFile(file, dir, workers));
task(fileBench, 'core only: ingestFile, 2 workers', (dir) => ingestFile(file, dir, 2, false));
await fileBench.run();
console.table(fileBench.table());

// The in-memory baselines run last, so that 1M parsed records on the heap slow no other task's GC.
const records: unknown[] = [];
await readParsed(file, (chunk) => void records.push(...chunk));
const memoryBench = new Bench({ name: 'memory', iterations: 1, time: 0, warmup: false, throws: true });
task(memoryBench, 'ingestBatch of the records in memory (single thread)', (dir) => ingestBatches(records, dir, true));
task(memoryBench, 'core only: ingestBatch of the records in memory', (dir) => ingestBatches(records, dir, false));
await memoryBench.run();
console.table(memoryBench.table());
records.length = 0;

const rates = new Map([...ratesOf(fileBench, n), ...ratesOf(memoryBench, n)]);
const single = rates.get('single thread: read + JSON.parse + ingestBatch')!;
for (const [workload, rate] of rates)
  rows.push({ workload, events: n, eventsPerSec: Math.round(rate), ratioToSingleThread: Number((rate / single).toFixed(2)) });
console.log(
  `\n${n.toLocaleString('en-US')} NDJSON events, batches of ${BATCH.toLocaleString('en-US')}; ratio to the single-threaded read + parse + ingestBatch of the same file`,
);
console.table(rows);

const rssRows: object[] = [];
for (const size of values.rss.split(',').map(Number)) {
  const rssFile = join(root, `rss-${size}.ndjson`);
  await writeEventsFile(rssFile, size);
  const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, `--child-rss=${rssFile}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`RSS child failed: ${child.stderr}`);
  rssRows.push({ lines: size, ...(JSON.parse(child.stdout) as object) });
  rmSync(rssFile, { force: true });
}
console.log('\npeak RSS of a process running ingestFile (2 workers), sampled every 20 ms; anon = RSS without the mmap-ed store file');
console.table(rssRows);
rmSync(root, { recursive: true, force: true });
