// The dedupe set's lookup of a new eventId as runs accumulate (one run per checkpoint: 20 at 1M events, 200 at 10M),
// and the time to load the runs at open. Run: npx tsx bench/dedupe-lookup.ts [--runs=200] [--entries=50000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { open } from 'lmdb';
import { DedupeRuns, hashHalves, type DedupeEntry } from '../src/storage/dedupe-runs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, entries: { type: 'string', default: '50000' } } });
const runCount = Number(values.runs);
const perRun = Number(values.entries);

let x = 1n;
const nextHash = (): bigint => (x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn);

const dir = mkdtempSync(join(tmpdir(), 'eventdb-dedupe-lookup-'));
const root = open({ path: dir, maxDbs: 10, noSync: true });
try {
  const writer = new DedupeRuns(root);
  writer.load();
  for (let r = 1; r <= runCount; r++) {
    const entries: DedupeEntry[] = [];
    for (let i = 0; i < perRun; i++) entries.push({ hash: nextHash(), seq: r * perRun + i });
    writer.write(r * perRun, entries);
    if (r % 20 === 0) await root.committed;
  }
  await root.committed;
  let t = performance.now();
  const runs = new DedupeRuns(root);
  runs.load();
  const loadMs = performance.now() - t;
  const probes = Array.from({ length: 200_000 }, nextHash);
  t = performance.now();
  let found = 0;
  for (const hash of probes) {
    const [hi, lo] = hashHalves(hash);
    if (runs.find(hash, hi, lo, true) !== undefined) found++;
  }
  const us = ((performance.now() - t) * 1000) / probes.length;
  console.log(`${runCount} runs of ${perRun}: load ${loadMs.toFixed(0)} ms, new eventId lookup ${us.toFixed(2)} µs (${found} found)`);
} finally {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
}
