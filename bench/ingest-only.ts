// eventdb's default ingest alone (batches of 10k, projections, durable): wall and CPU per event (all threads: the
// main one and lmdb-js's write thread), for A/B checks.
// Run: node --import tsx --expose-gc --max-old-space-size=8192 bench/ingest-only.ts [--events=300000] [--log-compressed]
import { parseArgs } from 'node:util';
import { benchDirs } from './store-tasks.js';
import { eventdbIngest } from './suite/eventdb-jobs.js';
import { EventSet } from './suite/workloads.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '300000' }, 'log-compressed': { type: 'boolean', default: false } } });
const n = Number(values.events);
const events = new EventSet(n);
JSON.stringify(events.all);
const dirs = benchDirs('eventdb-ingest-only-');
try {
  const c = process.cpuUsage();
  const t = performance.now();
  const compression = values['log-compressed'] ? { log: true } : undefined;
  await eventdbIngest(events, dirs.fresh(), { batchSize: 10_000, sliceSize: n, durable: true, projections: true, compression });
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(c);
  console.log(
    `eventdb${compression === undefined ? '' : ' (log compressed)'} ${Math.round((n / ms) * 1000)} ev/s, ${((cpu.user + cpu.system) / n).toFixed(1)} µs cpu/event (user ${(cpu.user / n).toFixed(1)}, system ${(cpu.system / n).toFixed(1)})`,
  );
} finally {
  dirs.remove();
}
