// The benchmark suite: every workload of the benchmark issue, each next to its baselines in the same run.

import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'csv-parse';
import { toEvent } from '../../examples/uci-online-retail.js';
import { inputStream } from '../../examples/ndjson-output.js';
import { mulberry32 } from '../../src/demo/dataset.js';
import { decodeText } from '../../src/catalog/feed-source.js';
import { readJsonFeed } from '../../src/catalog/json-feed-reader.js';
import { readXmlFeed } from '../../src/catalog/xml-feed-reader.js';
import { CATEGORIES, writeFeed } from '../catalog-feed.js';
import { bareJsonParse, bareXxhash, openSqlite, rawLmdbIngest, rawLmdbReads, sqliteIngest, sqliteReads, type IngestJob } from './baselines.js';
import type { SuiteConfig } from './config.js';
import { collectorIngest } from './collector-ingest.js';
import { crashReopen } from './crash-reopen.js';
import { exportThroughput } from './export-jobs.js';
import { flushLatency } from './flush-latency.js';
import { directoryBytes, eventdbConcurrent, eventdbIngest, eventdbIngestFile, openStore } from './eventdb-jobs.js';
import type { JobResult, JobTask, LatencyTask, Recorder, RowSpec } from './recorder.js';
import { formatCount } from './report.js';
import type { ResultRow } from './results.js';
import { EventSet, profileKey, writeNdjson, type BenchEvent } from './workloads.js';

const DEFAULT_BATCH = 10_000;

/** Interleaved rounds of each read comparison (see `Recorder.latencies`). */
const READ_ROUNDS = 4;

const ROOT = join(import.meta.dirname, '..', '..');
/** The whole year of UCI Online Retail, beside the repository on machines that have the shared data (optional). */
export const UCI_FULL = join(ROOT, '..', 'shared', 'realdata', 'online-retail-uci', 'online-retail-all-by-day-concat.csv.gz');
/** Its first 2,000 lines, kept in the repository (see test/fixtures/realdata/README.md). */
export const UCI_SLICE = join(ROOT, 'test', 'fixtures', 'realdata', 'online-retail-uci', 'online-retail-first-2000.csv.gz');
const UCI_SLICE_LINES = 2_000;

/** The stores left by the largest default ingest, which the read workloads query. */
interface ReadStores {
  events: BenchEvent[];
  eventdb: string;
  sqlite: string;
  raw: string;
  stored: number;
}

export async function runSuite(config: SuiteConfig, rec: Recorder): Promise<void> {
  const stores = await defaultIngest(config, rec);
  await ingestVariants(config, rec);
  await concurrentIngest(config, rec);
  await collectorIngest(config, rec);
  await fileIngest(config, rec);
  await reads(config, rec, stores);
  await exportThroughput(config, rec, stores.eventdb);
  await recovery(rec, stores.eventdb, config);
  await catalog(config, rec);
  await realData(config, rec);
  await bareCosts(rec, stores.events);
  if (config.growthEvents > 0) await growth(config, rec);
}

/**
 * The default workload at each size: eventdb with and without projections, raw lmdb, and SQLite with and without
 * its profiles table. The largest size's stores are kept for the reads; its slices give the cost as the store grows.
 */
async function defaultIngest(config: SuiteConfig, rec: Recorder): Promise<ReadStores> {
  let stores: ReadStores | undefined;
  for (const n of config.ingestSizes) {
    const largest = n === config.ingestSizes[config.ingestSizes.length - 1];
    const set = new EventSet(n);
    const job: IngestJob = { batchSize: DEFAULT_BATCH, durable: true, sliceSize: largest ? n / 10 : 0 };
    const base = `ingest/${n}/b${DEFAULT_BATCH}/dup0/durable`;
    rec.log(`ingest, ${n.toLocaleString('en-US')} events`);
    // The targets' pair (eventdb with projections against SQLite and raw lmdb) in interleaved rounds, each row the median.
    const [raw, sqlite, full] = (await rec.jobRounds(
      [
        {
          spec: {
            id: `${base}/raw`,
            group: 'ingest',
            workload: 'putSync(seq, event) of each new event (in-memory Set dedupe), one transactionSync per batch',
            engine: 'raw lmdb',
            n,
          },
          job: (dir) => rawLmdbIngest(set, dir, job),
          keep: largest,
        },
        {
          spec: {
            id: `${base}/sqlite`,
            group: 'ingest',
            workload: 'INSERT OR IGNORE into events + upsert of one profiles row per stored event, one transaction per batch',
            engine: 'sqlite',
            n,
          },
          job: (dir) => sqliteIngest(set, dir, { ...job, profiles: true }),
          keep: largest,
        },
        {
          spec: { id: `${base}/projections`, group: 'ingest', workload: 'ingestBatch of 10,000, projections on, 2 in flight', engine: 'eventdb', n },
          job: (dir) => eventdbIngest(set, dir, { ...job, projections: true }),
          keep: largest,
        },
      ],
      config.repeats,
    )) as [JobResult, JobResult, JobResult];
    const sqliteCore = await rec.job(
      {
        id: `${base}/sqlite-core`,
        group: 'ingest',
        workload: 'INSERT OR IGNORE into events only (no profiles upsert), one transaction per batch',
        engine: 'sqlite',
        n,
      },
      (dir) => sqliteIngest(set, dir, { ...job, profiles: false, sliceSize: 0 }),
    );
    const core = await rec.job(
      { id: `${base}/core`, group: 'ingest', workload: 'ingestBatch of 10,000, projections off (core: validate, dedupe, log, indexes)', engine: 'eventdb', n },
      (dir) => eventdbIngest(set, dir, { ...job, projections: false, sliceSize: 0 }),
    );
    rec.ratio(full.row, raw.row);
    rec.ratio(full.row, sqlite.row);
    rec.ratio(core.row, raw.row);
    rec.ratio(core.row, sqliteCore.row);
    rec.ratio(sqlite.row, raw.row);
    if (!largest) continue;
    rec.addGrowth('eventdb', 'ingestBatch, projections on', full.outcome.slices ?? []);
    rec.addGrowth('raw lmdb', 'putSync per batch', raw.outcome.slices ?? []);
    rec.addGrowth('sqlite', 'events + profiles', sqlite.outcome.slices ?? []);
    rec.addDisk('eventdb', 'default workload, every index and projection', full.outcome.stored, directoryBytes(full.dir));
    rec.addDisk('raw lmdb', 'the log alone', raw.outcome.stored, directoryBytes(raw.dir));
    rec.addDisk('sqlite', 'events, index, profiles (after a WAL checkpoint)', sqlite.outcome.stored, directoryBytes(sqlite.dir));
    stores = { events: set.all, eventdb: full.dir, sqlite: sqlite.dir, raw: raw.dir, stored: full.outcome.stored };
  }
  return stores!;
}

/** One axis at a time away from the default: batch sizes, duplicates, relaxed durability. */
async function ingestVariants(config: SuiteConfig, rec: Recorder): Promise<void> {
  const variants: { name: string; id: string; n: number; batchSize: number; durable: boolean; duplicates: number }[] = [
    ...config.batchSizes.map(({ batchSize, events }) => ({
      name: `batches of ${batchSize.toLocaleString('en-US')}`,
      id: `b${batchSize}/dup0/durable`,
      n: events,
      batchSize,
      durable: true,
      duplicates: 0,
    })),
    { name: '20% duplicates', id: `b${DEFAULT_BATCH}/dup20/durable`, n: config.variantEvents, batchSize: DEFAULT_BATCH, durable: true, duplicates: 0.2 },
    { name: 'relaxed durability', id: `b${DEFAULT_BATCH}/dup0/relaxed`, n: config.variantEvents, batchSize: DEFAULT_BATCH, durable: false, duplicates: 0 },
  ];
  for (const v of variants) {
    rec.log(`ingest variant: ${v.name}, ${v.n.toLocaleString('en-US')} events`);
    const set = new EventSet(v.n, { seed: 11, duplicateFraction: v.duplicates });
    const job: IngestJob = { batchSize: v.batchSize, durable: v.durable };
    const base = `ingest/${v.n}/${v.id}`;
    const syncNote = v.durable ? '' : ' (noSync / synchronous=NORMAL)';
    const raw = await rec.job(
      { id: `${base}/raw`, group: 'ingest', workload: `${v.name}: putSync${syncNote}`, engine: 'raw lmdb', n: v.n },
      (dir) => rawLmdbIngest(set, dir, job),
      { runs: config.runs },
    );
    const sqlite = await rec.job(
      { id: `${base}/sqlite`, group: 'ingest', workload: `${v.name}: events + profiles${syncNote}`, engine: 'sqlite', n: v.n },
      (dir) => sqliteIngest(set, dir, { ...job, profiles: true }),
      { runs: config.runs },
    );
    const ours = await rec.job(
      { id: `${base}/projections`, group: 'ingest', workload: `${v.name}: ingestBatch, projections on`, engine: 'eventdb', n: v.n },
      (dir) => eventdbIngest(set, dir, { ...job, projections: true }),
      { runs: config.runs },
    );
    rec.ratio(ours.row, raw.row);
    rec.ratio(ours.row, sqlite.row);
  }
}

/** 1,000 callers awaiting one durable `ingest()` each, against SQLite with one transaction per event (interleaved rounds, medians). */
async function concurrentIngest(config: SuiteConfig, rec: Recorder): Promise<void> {
  const n = config.concurrentEvents;
  rec.log(`concurrent ingest(), ${n.toLocaleString('en-US')} events`);
  const events = new EventSet(n, { seed: 7 }).all;
  const flush = flushLatency(rec.fresh());
  rec.notes.push(
    `Disk flush latency before the concurrent group: median ${flush.medianMs} ms, p90 ${flush.p90Ms} ms (${flush.samples} writes of 4 KiB, each followed by fdatasync, where the stores are written).`,
  );
  const [sqlite, ...ours] = await rec.jobRounds(
    [
      {
        spec: {
          id: `concurrent/${n}/sqlite`,
          group: 'concurrent',
          workload: 'events + profiles upsert, called one event at a time, one transaction per event (synchronous=FULL)',
          engine: 'sqlite',
          n,
        },
        job: (dir) => sqliteIngest([events], dir, { batchSize: 1, durable: true, profiles: true }),
      },
      ...[true, false].map((projections): JobTask => ({
        spec: {
          id: `concurrent/${n}/${projections ? 'projections' : 'core'}`,
          group: 'concurrent',
          workload: `ingest() × 1,000 in flight, durable, projections ${projections ? 'on' : 'off'}`,
          engine: 'eventdb',
          n,
        },
        job: (dir) => eventdbConcurrent(events, dir, { callers: 1000, projections }),
      })),
    ],
    config.repeats,
  );
  for (const row of ours) rec.ratio(row.row, sqlite!.row);
}

/** `ingestFile` with 1, 2 and 4 workers against the same file parsed on the calling thread, and the bare parse. */
async function fileIngest(config: SuiteConfig, rec: Recorder): Promise<void> {
  const n = config.fileEvents;
  rec.log(`ingestFile, ${n.toLocaleString('en-US')} lines`);
  const file = join(rec.fresh(), 'events.ndjson');
  await writeNdjson(file, new EventSet(n, { seed: 5 }));
  const bare = await rec.job({ id: `file/${n}/parse`, group: 'file', workload: 'read the file + JSON.parse each line, no store', engine: 'bare', n }, () =>
    bareJsonParse(readFileSync(file, 'utf8').trimEnd().split('\n')),
  );
  const single = await rec.job(
    { id: `file/${n}/workers0`, group: 'file', workload: 'ingestFile, parsed on the calling thread (0 workers)', engine: 'eventdb', n },
    (dir) => eventdbIngestFile(file, dir, 0),
  );
  for (const workers of config.workers) {
    const ours = await rec.job(
      { id: `file/${n}/workers${workers}`, group: 'file', workload: `ingestFile, ${workers} worker${workers === 1 ? '' : 's'}`, engine: 'eventdb', n },
      (dir) => eventdbIngestFile(file, dir, workers),
    );
    rec.ratio(ours.row, single.row);
  }
  rec.ratio(single.row, bare.row);
}

/** Point reads, profiles and one profile's events, on the stores of the largest default ingest. */
async function reads(config: SuiteConfig, rec: Recorder, stores: ReadStores): Promise<void> {
  const n = stores.events.length;
  rec.log(`reads on stores of ${n.toLocaleString('en-US')} events`);
  const heavy = heavyProfile(config.heavyProfileEvents);
  const sqliteWriter = openSqlite(stores.sqlite, { durable: true, profiles: true });
  sqliteWriter.ingest(heavy, 0, heavy.length);
  sqliteWriter.db.close();
  const writer = await openStore(stores.eventdb);
  for (let i = 0; i < heavy.length; i += DEFAULT_BATCH) await writer.ingestBatch(heavy.slice(i, i + DEFAULT_BATCH));
  await writer.close();
  // The reads run on a settled store opened anew, as SQLite's run on a new connection after its WAL checkpoint: the
  // close checkpointed what the writer held in memory (no idle checkpoint, and no run merge it would start, lands
  // among the samples), and the closed generations are merged.
  const db = await openStore(stores.eventdb);
  await db.consolidated();
  settle();
  const sqlite = sqliteReads(stores.sqlite);
  const raw = rawLmdbReads(stores.raw);
  const rnd = mulberry32(3);
  const pick = (): BenchEvent => stores.events[Math.floor(rnd() * n)]!;
  const time = config.readTime;
  const base = `read/${n}`;

  const [getEvent, sqlitePoint, rawPoint] = await rec.latencies(
    [
      { spec: { id: `${base}/getEvent`, group: 'read', workload: 'getEvent(random eventId)', engine: 'eventdb' }, op: () => db.getEvent(pick().eventId) },
      {
        spec: { id: `${base}/getEvent/sqlite`, group: 'read', workload: 'SELECT body WHERE event_id = ? + JSON.parse', engine: 'sqlite' },
        op: () => sqlite.getEvent(pick().eventId),
      },
      {
        spec: { id: `${base}/getEvent/raw`, group: 'read', workload: 'get(random seq) of the log', engine: 'raw lmdb' },
        op: () => raw.get(1 + Math.floor(rnd() * stores.stored)),
      },
    ],
    { time, rounds: READ_ROUNDS },
  );
  rec.ratio(getEvent!, sqlitePoint!);
  rec.ratio(getEvent!, rawPoint!);

  const [profiles, sqliteProfile] = await rec.latencies(
    [
      {
        spec: { id: `${base}/getProfile`, group: 'read', workload: 'getProfile(random profileId): merged partial states', engine: 'eventdb' },
        op: () => db.getProfile({ profileId: pick().profileId }),
      },
      {
        spec: { id: `${base}/getProfile/sqlite`, group: 'read', workload: 'SELECT * FROM profiles WHERE profile = ?', engine: 'sqlite' },
        op: () => sqlite.getProfile(profileKey(pick())),
      },
    ],
    { time, rounds: READ_ROUNDS },
  );
  rec.ratio(profiles!, sqliteProfile!);

  const [first100, sqliteFirst100] = await rec.latencies(
    [
      streamed(
        { id: `${base}/events-first100`, group: 'read', workload: 'events({ profileId }) of a random profile, first 100', engine: 'eventdb', unit: 'calls' },
        () => countOf(db.events({ profileId: pick().profileId, limit: 100 })),
      ),
      streamed(
        {
          id: `${base}/events-first100/sqlite`,
          group: 'read',
          workload: 'WHERE profile = ? ORDER BY time LIMIT 100, bodies parsed',
          engine: 'sqlite',
          unit: 'calls',
        },
        () => sqlite.profileEvents(profileKey(pick()), 100),
      ),
    ],
    { time, rounds: READ_ROUNDS },
  );
  rec.ratio(first100!, sqliteFirst100!);
  const scanName = `events() of one profile with ${heavy.length.toLocaleString('en-US')} events, full scan`;
  const [scan, sqliteScan] = await rec.latencies(
    [
      streamed({ id: `${base}/events-heavy`, group: 'read', workload: scanName, engine: 'eventdb', unit: 'scans' }, () =>
        countOf(db.events({ profileId: 'heavy-profile' })),
      ),
      streamed(
        { id: `${base}/events-heavy/sqlite`, group: 'read', workload: 'the same profile, all rows, bodies parsed', engine: 'sqlite', unit: 'scans' },
        () => sqlite.profileEvents('p:heavy-profile', Number.MAX_SAFE_INTEGER),
      ),
    ],
    { time: time * 3, rounds: READ_ROUNDS },
  );
  rec.ratio(scan!, sqliteScan!);
  sqlite.close();
  await raw.close();
  await db.close();
}

/**
 * Lets the machine settle before reads are timed: the phases before wrote gigabytes, whose dirty pages the kernel
 * writes back for tens of seconds after them, and left their garbage in the heap. Measured with a probe (a 400k-event
 * ingest, then the reads of a 1M store): every engine's reads ran slower in the first seconds after it, `getEvent`
 * 8.7 µs against 4.3 half a minute later and SQLite's point read 21.8 against 16; after a `sync` they started at 4.9
 * and 15.2. Whichever engine was timed first paid for it.
 */
function settle(): void {
  global.gc?.();
  try {
    execFileSync('sync');
  } catch {
    // No sync(1) here: the interleaved rounds still share what is left between the engines.
  }
}

/**
 * Latency of calls that each stream some events: `n` counts the calls (in `unit`: 'calls', 'scans'), the rate counts
 * events (averaged over every call, warm-ups included), and the row keeps the mean events per call.
 */
function streamed(spec: Omit<RowSpec, 'n'> & { unit: string }, call: () => number): LatencyTask {
  let events = 0;
  let calls = 0;
  const op = (): void => {
    events += call();
    calls++;
  };
  return { spec, op, perOp: { unit: 'events', mean: () => events / calls } };
}

/**
 * Iterates a read to its end and counts what it yielded, as the SQLite side does with its rows (each body parsed,
 * none kept): collecting into an array would also time the retention of every object.
 */
function countOf(items: Iterable<unknown>): number {
  let n = 0;
  for (const _ of items) n++;
  return n;
}

/** A profileId with `count` events (no userId), for the full-scan read. */
function heavyProfile(count: number): BenchEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    eventId: `heavy-${i}`,
    profileId: 'heavy-profile',
    sessionId: `heavy-session-${Math.floor(i / 20)}`,
    eventName: 'page_view',
    timestamp: new Date(Date.UTC(2023, 0, 1) + i * 1000).toISOString(),
    data: { url: `https://shop.example.com/products/${i % 500}`, productId: `sku-${String(i % 500).padStart(6, '0')}` },
  }));
}

/** Feed import (JSON and XML) against the streaming parse alone, then query latency. */
async function catalog(config: SuiteConfig, rec: Recorder): Promise<void> {
  const n = config.catalogItems;
  rec.log(`catalog, ${n.toLocaleString('en-US')} items`);
  let queryStore = '';
  for (const format of ['json', 'xml'] as const) {
    const file = join(rec.fresh(), `feed.${format}`);
    await writeFeed(file, format, n);
    const read = format === 'json' ? readJsonFeed : readXmlFeed;
    const parsed = await rec.job(
      {
        id: `catalog/${n}/${format}/parse`,
        group: 'catalog',
        workload: `${format.toUpperCase()} feed: streaming parse only`,
        engine: 'bare',
        n,
        unit: 'items',
      },
      async () => {
        let items = 0;
        for await (const batch of read(decodeText(createReadStream(file, { highWaterMark: 256 * 1024 })))) items += batch.length;
        return { stored: items };
      },
    );
    const imported = await rec.job(
      {
        id: `catalog/${n}/${format}/import`,
        group: 'catalog',
        workload: `${format.toUpperCase()} feed: catalog.importFeed, durable`,
        engine: 'eventdb',
        n,
        unit: 'items',
      },
      async (dir) => {
        const db = await openStore(dir);
        const result = await db.catalog.importFeed(file);
        await db.close();
        return { stored: result.imported };
      },
      { keep: format === 'json' },
    );
    rec.ratio(imported.row, parsed.row);
    if (format === 'json') queryStore = imported.dir;
  }
  const db = await openStore(queryStore);
  const rnd = mulberry32(9);
  await rec.latency(
    { id: `catalog/${n}/query`, group: 'catalog', workload: 'catalog.query({ category, priceMin, priceMax, limit: 20 })', engine: 'eventdb', unit: 'queries' },
    () => {
      const low = Math.floor(rnd() * 450);
      return db.catalog.query({
        category: CATEGORIES[Math.floor(rnd() * CATEGORIES.length)]!,
        priceMin: low,
        priceMax: low + 10 + Math.floor(rnd() * 40),
        limit: 20,
      });
    },
    { time: config.readTime },
  );
  await db.close();
}

/** Which UCI file the run reads, how many lines of it, and what it says about that (for the log and the report). */
export function uciInput(config: Pick<SuiteConfig, 'uciLines' | 'uciFullSet'>, full = UCI_FULL): { file: string; lines: number; note: string } {
  const shown = (path: string): string => relative(ROOT, path);
  if (config.uciFullSet && existsSync(full)) {
    return {
      file: full,
      lines: config.uciLines,
      note: `UCI Online Retail: the first ${formatLines(config.uciLines)} lines of the full set at ${shown(full)}.`,
    };
  }
  const lines = Math.min(config.uciLines, UCI_SLICE_LINES);
  const slice = `the ${formatLines(UCI_SLICE_LINES)}-line slice in ${shown(UCI_SLICE)}`;
  if (!config.uciFullSet)
    return { file: UCI_SLICE, lines, note: `UCI Online Retail: the first ${formatLines(lines)} lines of ${slice} (this mode never reads the full set).` };
  return {
    file: UCI_SLICE,
    lines,
    note: `UCI Online Retail full set not found at ${shown(full)}: skipped (${slice} is used instead, ${formatLines(lines)} lines).`,
  };
}

function formatLines(n: number): string {
  return n.toLocaleString('en-US');
}

/** The UCI Online Retail invoice lines, mapped to events (untimed), through each engine: the full set when present, else the in-repo slice. */
async function realData(config: SuiteConfig, rec: Recorder): Promise<void> {
  const input = uciInput(config);
  rec.log(input.note);
  rec.notes.push(input.note);
  const events: BenchEvent[] = [];
  for await (const row of inputStream(input.file).pipe(parse({ columns: true, skip_empty_lines: true, to: input.lines }))) {
    events.push(toEvent(row as Parameters<typeof toEvent>[0]) as unknown as BenchEvent);
  }
  const n = events.length;
  rec.log(`UCI Online Retail, ${n.toLocaleString('en-US')} lines`);
  const job: IngestJob = { batchSize: DEFAULT_BATCH, durable: true };
  const raw = await rec.job(
    { id: `real/${n}/raw`, group: 'real', workload: 'putSync of each new event, one transactionSync per 10,000', engine: 'raw lmdb', n },
    (dir) => rawLmdbIngest([events], dir, job),
  );
  const sqlite = await rec.job(
    { id: `real/${n}/sqlite`, group: 'real', workload: 'INSERT OR IGNORE events + profiles upsert, one transaction per 10,000', engine: 'sqlite', n },
    (dir) => sqliteIngest([events], dir, { ...job, profiles: true }),
  );
  const ours = await rec.job({ id: `real/${n}/projections`, group: 'real', workload: 'ingestBatch of 10,000, projections on', engine: 'eventdb', n }, (dir) =>
    eventdbIngest([events], dir, { ...job, projections: true }),
  );
  rec.ratio(ours.row, raw.row);
  rec.ratio(ours.row, sqlite.row);
}

/** JSON.parse of the default input's lines and xxhash64 of its eventIds: costs no store can avoid. */
async function bareCosts(rec: Recorder, events: readonly BenchEvent[]): Promise<void> {
  const n = events.length;
  const lines = events.map((e) => JSON.stringify(e));
  const ids = events.map((e) => e.eventId);
  rec.log('bare costs');
  await rec.job({ id: `bare/${n}/json-parse`, group: 'bare', workload: 'JSON.parse of each event as an NDJSON line', engine: 'bare', n }, () =>
    bareJsonParse(lines),
  );
  await rec.job({ id: `bare/${n}/xxhash`, group: 'bare', workload: 'xxhash64 of each eventId into an 8-byte key', engine: 'bare', n, unit: 'hashes' }, () =>
    bareXxhash(ids),
  );
}

/** One store of each engine grown to `growthEvents`, timed in twentieths. */
async function growth(config: SuiteConfig, rec: Recorder): Promise<void> {
  const n = config.growthEvents;
  rec.log(`growth to ${n.toLocaleString('en-US')} events`);
  const set = new EventSet(n, { seed: 13 });
  const job: IngestJob = { batchSize: DEFAULT_BATCH, durable: true, sliceSize: n / 20 };
  const raw = await rec.job(
    { id: `growth/${n}/raw`, group: 'ingest', workload: `grown to ${formatCount(n)}: putSync per batch`, engine: 'raw lmdb', n },
    (dir) => rawLmdbIngest(set, dir, job),
  );
  const ours = await rec.job(
    { id: `growth/${n}/projections`, group: 'ingest', workload: `grown to ${formatCount(n)}: ingestBatch, projections on`, engine: 'eventdb', n },
    (dir) => eventdbIngest(set, dir, { ...job, projections: true }),
    { keep: true },
  );
  rec.ratio(ours.row, raw.row);
  rec.growth.length = 0;
  rec.addGrowth('eventdb', 'ingestBatch, projections on', ours.outcome.slices ?? []);
  rec.addGrowth('raw lmdb', 'putSync per batch', raw.outcome.slices ?? []);
  rec.addDisk('eventdb', `grown to ${formatCount(n)}, every index and projection`, ours.outcome.stored, directoryBytes(ours.dir));
  await recovery(rec, ours.dir, config);
}

/**
 * A writer child ingests `config.recoveryTail` events into the closed store at `dir`, reports its RssAnon (highest and
 * after a GC) and is killed; `config.repeats` children time the open in turn.
 */
async function recovery(rec: Recorder, dir: string, config: SuiteConfig): Promise<void> {
  const tail = config.recoveryTail;
  rec.log(`open after SIGKILL: a writer ingests ${tail.toLocaleString('en-US')} events into the store, then is killed`);
  const point = await crashReopen(dir, tail, config.repeats);
  rec.recovery = point;
  rec.log(
    `  eventdb  open of ${point.events.toLocaleString('en-US')} events replaying ${point.replayed.toLocaleString('en-US')} records: ${point.openMs} ms (median of ${(point.openRunsMs ?? []).join(', ')}); writer RssAnon at most ${Math.round((point.writerPeakRssAnonBytes ?? 0) / 2 ** 20)} MiB, ${Math.round(point.writerRssAnonBytes / 2 ** 20)} MiB after a GC`,
  );
}

export type { ResultRow };
