// A quick before/after measurement for storage work: the default ingest (batches of 10k, projections, durable)
// against raw lmdb and SQLite (events + profiles) in the same process, then getProfile / getEvent medians and
// bytes on disk per event. Much shorter than the suite; use it between steps, the suite for the report.
// Run: node --import tsx --expose-gc --max-old-space-size=8192 bench/step.ts [--events=200000]

import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../src/demo/dataset.js';
import { benchDirs } from './store-tasks.js';
import { rawLmdbIngest, sqliteIngest, sqliteReads } from './suite/baselines.js';
import { directoryBytes, eventdbIngest, openStore } from './suite/eventdb-jobs.js';
import { EventSet, profileKey } from './suite/workloads.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, only: { type: 'string' } } });
const n = Number(values.events);
const events = new EventSet(n);
JSON.stringify(events.all); // flatten the generated strings before anything is timed
const dirs = benchDirs('eventdb-step-');
const job = { batchSize: 10_000, sliceSize: n, durable: true };

const rate = (ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en-US')} ev/s`;

function median(samples: number[]): number {
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

function latencyUs(call: () => unknown, count = 20_000): { median: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    call();
    samples.push((performance.now() - t) * 1000);
  }
  const med = median(samples);
  return { median: med, p99: samples[Math.floor(samples.length * 0.99)]! };
}

try {
  // CPU time (every thread of the process) per event beside the wall time: on a shared machine it moves far less.
  const cpuUs = (from: NodeJS.CpuUsage): string => {
    const used = process.cpuUsage(from);
    return `${((used.user + used.system) / n).toFixed(1)} µs cpu/event`;
  };
  const edbDir = dirs.fresh();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await eventdbIngest(events, edbDir, { ...job, projections: true });
  const edbMs = performance.now() - t0;
  const edbCpu = cpuUs(c0);
  const rawDir = dirs.fresh();
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  await rawLmdbIngest(events, rawDir, job);
  const rawMs = performance.now() - t1;
  const rawCpu = cpuUs(c1);
  const sqlDir = dirs.fresh();
  mkdirSync(sqlDir);
  const c2 = process.cpuUsage();
  const t2 = performance.now();
  sqliteIngest(events, sqlDir, { ...job, profiles: true });
  const sqlMs = performance.now() - t2;
  const sqlCpu = cpuUs(c2);
  console.log(`ingest ${n.toLocaleString('en-US')}: eventdb ${rate(edbMs)}, raw lmdb ${rate(rawMs)}, sqlite ${rate(sqlMs)}`);
  console.log(`  cpu: eventdb ${edbCpu}, raw lmdb ${rawCpu}, sqlite ${sqlCpu}`);
  console.log(`  ratios: ${(rawMs / edbMs).toFixed(3)}× raw, ${(sqlMs / edbMs).toFixed(3)}× sqlite`);
  console.log(`  bytes/event: eventdb ${Math.round(directoryBytes(edbDir) / n)}, raw ${Math.round(directoryBytes(rawDir) / n)}`);

  const db = await openStore(edbDir);
  const sqlite = sqliteReads(sqlDir);
  const rnd = mulberry32(3);
  const pick = (): (typeof events.all)[number] => events.all[Math.floor(rnd() * n)]!;
  const profile = latencyUs(() => db.getProfile({ profileId: pick().profileId }));
  const sqlProfile = latencyUs(() => sqlite.getProfile(profileKey(pick())));
  const getEvent = latencyUs(() => db.getEvent(pick().eventId));
  console.log(
    `  getProfile µs median ${profile.median.toFixed(1)} p99 ${profile.p99.toFixed(1)} (sqlite ${sqlProfile.median.toFixed(1)}); getEvent median ${getEvent.median.toFixed(1)}`,
  );
  sqlite.close();
  await db.close();
} finally {
  dirs.remove();
}
