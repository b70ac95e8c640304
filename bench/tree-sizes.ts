// Where the bytes on disk go: ingests N generated events (the default job, projections on) and prints each LMDB
// tree's entries and pages as bytes per event. Run: node --import tsx --max-old-space-size=8192 bench/tree-sizes.ts [N]

import { open } from 'lmdb';
import { benchDirs } from './store-tasks.js';
import { eventdbIngest } from './suite/eventdb-jobs.js';
import { EventSet } from './suite/workloads.js';
const n = Number(process.argv[2] ?? 200000);
const events = new EventSet(n);
const dirs = benchDirs('eventdb-sizes-');
const dir = dirs.fresh();
const t = performance.now();
await eventdbIngest(events, dir, { batchSize: 10_000, sliceSize: n, durable: true, projections: true });
console.log('ingest ms', Math.round(performance.now() - t));
const root = open({ path: dir, maxDbs: 30, readOnly: true });
const env = root.getStats() as Record<string, number>;
console.log('env', JSON.stringify(env));
let total = 0;
for (const name of root.getKeys() as Iterable<string>) {
  try {
    const db = root.openDB({ name: String(name) });
    const s = db.getStats() as Record<string, number>;
    const pages = (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0);
    total += pages;
    console.log(
      String(name).padEnd(20),
      'entries',
      String(s.entryCount).padStart(9),
      'pages',
      String(pages).padStart(8),
      'B/event',
      ((pages * 4096) / n).toFixed(0),
    );
  } catch (err) {
    console.log(String(name), 'not a tree:', (err as Error).message);
  }
}
console.log('total B/event in trees', ((total * 4096) / n).toFixed(0));
await root.close();
dirs.remove();
