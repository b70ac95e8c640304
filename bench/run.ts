// The benchmark suite's command: runs every workload with its baselines, writes bench/results.json, then
// regenerates docs/benchmarks.md and its charts from that JSON.
// Run: npm run bench [-- --quick] [-- --growth=10000000] [-- --no-profile] [-- --report-only]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { CONFIGS, type SuiteConfig } from './suite/config.js';
import { profileIngest } from './profile.js';
import { Recorder } from './suite/recorder.js';
import { PROSE } from './suite/report-prose.js';
import { formatCount, writeReport } from './suite/report.js';
import type { BenchResults, Machine, ResultRow, Target } from './suite/results.js';
import { runSuite } from './suite/suite.js';

const ROOT = join(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results.json');

/** Runs the suite in one mode and returns its results (also used by the test, in `tiny` mode). */
export async function runBenchmarks(config: SuiteConfig, command: string, log: (line: string) => void = () => {}): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const load = loadavg()[0]!.toFixed(2);
  const root = mkdtempSync(join(tmpdir(), 'eventdb-bench-'));
  const rec = new Recorder(root, log);
  try {
    await runSuite(config, rec);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const profile =
    config.profileEvents > 0
      ? (log(`cpu profile of ${config.profileEvents.toLocaleString('en-US')} events`), profileIngest(config.profileEvents, true))
      : undefined;
  rec.notes.push(`Load average (1 min) ${load} at the start, ${loadavg()[0]!.toFixed(2)} at the end: above 2 means something else shared the 2 cores.`);
  const results: BenchResults = {
    mode: config.mode,
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    machine: machine(root),
    rows: rec.rows,
    growth: rec.growth,
    disk: rec.disk,
    targets: targets(rec),
    notes: rec.notes,
  };
  if (profile !== undefined) results.profile = profile;
  return results;
}

function machine(dir: string): Machine {
  const version = (name: string): string => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const sqlite = new Database(':memory:');
  const sqliteVersion = (sqlite.prepare('SELECT sqlite_version()').pluck().get() as string) ?? '?';
  sqlite.close();
  let disk = '?';
  try {
    disk = execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '--target', join(dir, '..')], { encoding: 'utf8' })
      .trim()
      .replace(/\s+/, ' on ');
  } catch {
    // findmnt is missing: the disk stays unknown.
  }
  return {
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${type()} ${release()}`,
    disk,
    versions: {
      lmdb: version('lmdb'),
      msgpackr: version('msgpackr'),
      'better-sqlite3': version('better-sqlite3'),
      SQLite: sqliteVersion,
      tinybench: version('tinybench'),
    },
  };
}

/** The size the growth aim names: the cost per event at 10M stored events against at 100k. */
const GROWTH_AIM_EVENTS = 10_000_000;

/** The benchmark issue's targets, read off the rows of this run; `why` (words only) is shown beside a missed target. */
export function targets({ rows, growth, disk: diskPoints }: Pick<BenchResults, 'rows' | 'growth' | 'disk'>): Target[] {
  const find = (test: (row: ResultRow) => boolean): ResultRow | undefined => rows.filter(test).pop();
  const ratio = (row: ResultRow | undefined, engine: string): number => row?.ratios.find((r) => r.engine === engine)?.ratio ?? Number.NaN;
  const count = (n: number | undefined): string => n?.toLocaleString('en-US') ?? '?';
  const full = find((r) => r.group === 'ingest' && r.id.endsWith('/b10000/dup0/durable/projections') && !r.id.startsWith('growth'));
  const out: Target[] = [];
  const add = (name: string, aim: string, value: number, measured: string, met: boolean, why: string): void => {
    const target: Target = { name, aim, measured: Number.isNaN(value) ? 'not measured' : measured, met: !Number.isNaN(value) && met };
    if (Number.isNaN(value)) target.notMeasured = true;
    else if (!target.met) target.why = why;
    out.push(target);
  };
  const full1 = ratio(full, 'raw lmdb');
  add(
    `ingestBatch of ${count(full?.n)} events, projections on, vs raw lmdb puts`,
    '≥ 0.5×',
    full1,
    `${full1}×`,
    full1 >= 0.5,
    "about ten LMDB writes per event into randomly keyed trees (log, dedupe, indexes, partial states, identifiers, links) against raw's one put; both cores are busy",
  );
  const full2 = ratio(full, 'sqlite');
  add(
    `the same ingest vs the SQLite baseline (events + profiles rows)`,
    '≥ 2×',
    full2,
    `${full2}×`,
    full2 >= 2,
    'eventdb validates each event, keeps session, account and event-name indexes, sessions, accounts, identity links and first-seen identifiers; the SQLite baseline does none of these and upserts one profiles row per event',
  );
  const fileRows = rows.filter((r) => r.group === 'file' && /workers[1-9]/.test(r.id));
  const workers = Math.max(...fileRows.map((r) => ratio(r, 'eventdb')));
  add(
    `ingestFile of ${count(fileRows[0]?.n)} lines with workers vs parsed on the calling thread`,
    '≥ 1.5×',
    workers,
    `${workers}× (best worker count)`,
    workers >= 1.5,
    'the single writer (dedupe, log, indexes, projections) sets the pace; workers take only parsing and validation, and share two cores with it',
  );
  const curve = growth.filter((g) => g.engine === 'eventdb');
  const first = curve[0];
  const last = curve[curve.length - 1];
  const drift = first !== undefined && last !== undefined ? Number((last.usPerEvent / first.usPerEvent).toFixed(2)) : Number.NaN;
  const slices = `slice ending at ${count(last?.events)} ÷ slice ending at ${count(first?.events)}`;
  if (last !== undefined && last.events < GROWTH_AIM_EVENTS && !Number.isNaN(drift)) {
    // A target is met or missed only by a run at its own size; a smaller store's drift is shown, not judged.
    out.push({
      name: 'cost per event at 10M events stored vs at 100k',
      aim: '≤ 1.5×',
      measured: `not measured at 10M (${formatCount(last.events)} run: ${drift}×, ${slices})`,
      met: false,
      notMeasured: true,
      why: 'only `npm run bench -- --growth=10000000` grows a store to 10M events',
    });
  } else {
    add(
      'cost per event at 10M events stored vs at 100k',
      '≤ 1.5×',
      drift,
      `${drift}× (${slices})`,
      drift <= 1.5,
      'more stored partial states are read back and merged as the store grows (first-time identifiers need no read)',
    );
  }
  const concurrentRow = find((r) => r.group === 'concurrent' && r.id.endsWith('/projections'));
  const concurrent = concurrentRow?.perSec ?? Number.NaN;
  add(
    `1,000 callers each awaiting a durable ingest(), ${count(concurrentRow?.n)} events`,
    '≥ 20,000 events/s',
    concurrent,
    `${concurrent.toLocaleString('en-US')} events/s`,
    concurrent >= 20_000,
    'callers await each call, so one batch at a time is folded and flushed; the per-event writer cost bounds it',
  );
  const getEvent = find((r) => r.id.endsWith('/getEvent'));
  const vsSqlite = ratio(getEvent, 'sqlite');
  add('getEvent vs SQLite point read (SELECT body by event_id + JSON.parse)', '≥ 2×', vsSqlite, `${vsSqlite}×`, vsSqlite >= 2, '');
  const median = getEvent?.latencyUs?.median ?? Number.NaN;
  add(
    'getEvent median latency',
    '< 5 µs',
    median,
    `${median} µs`,
    median < 5,
    'two random LMDB reads (the dedupe tree for the sequence number, then the log) and a record decode, where the raw baseline does one read by sequence number',
  );
  const scanRow = find((r) => r.id.endsWith('/events-heavy'));
  const scan = scanRow?.perSec ?? Number.NaN;
  add(
    `events() of one profile with ${count(scanRow?.perOp)} events, full scan`,
    '≥ 1,000,000 events/s',
    scan,
    `${scan.toLocaleString('en-US')} events/s`,
    scan >= 1_000_000,
    'one random log read and a record decode per event (the index holds no record bodies)',
  );
  const diskPoint = diskPoints.filter((d) => d.engine === 'eventdb').pop();
  const disk = diskPoint?.bytesPerEvent ?? Number.NaN;
  add(
    `bytes on disk per event at ${count(diskPoint?.events)} events, every index and projection included`,
    '≤ 400',
    disk,
    `${disk} B`,
    disk <= 400,
    'besides the log record: a dedupe entry, three to four index entries, partial states of owner, session and account, identifiers and links, and the free pages LMDB keeps; this run does not break the size down by tree',
  );
  return out;
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      growth: { type: 'string' },
      'no-profile': { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
    },
  });
  if (!values['report-only']) {
    const config: SuiteConfig = { ...CONFIGS[values.quick ? 'quick' : 'full'] };
    if (values.growth !== undefined) config.growthEvents = Number(values.growth);
    if (values['no-profile']) config.profileEvents = 0;
    const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    const started = performance.now();
    const results = await runBenchmarks(config, command, (line) => console.log(line));
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n${config.mode} run: ${((performance.now() - started) / 1000).toFixed(0)} s; results in bench/results.json`);
  }
  const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchResults;
  results.targets = targets(results);
  writeReport(results, join(ROOT, 'docs'), PROSE);
  for (const t of results.targets)
    console.log(`${t.notMeasured === true ? 'not measured' : t.met ? 'met' : 'missed'} — ${t.name}: ${t.measured} (aim ${t.aim})`);
  console.log('docs/benchmarks.md and its charts regenerated');
}
