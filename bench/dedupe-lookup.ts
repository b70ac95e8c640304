// The dedupe set's lookups (a new eventId, a stored one) as runs accumulate (one run per checkpoint: 20 at 1M events,
// 200 at 10M), the time to load the runs at open, and the same after the consolidation's merges.
// Run: npx tsx bench/dedupe-lookup.ts [--runs=200] [--entries=50000]
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
/** Some stored hashes, from every run. */
const present: bigint[] = [];
try {
  const writer = new DedupeRuns(root);
  writer.load();
  for (let r = 1; r <= runCount; r++) {
    const entries: DedupeEntry[] = [];
    for (let i = 0; i < perRun; i++) entries.push({ hash: nextHash(), seq: r * perRun + i });
    for (let i = 0; i < perRun; i += 50) present.push(entries[i]!.hash);
    writer.write(r * perRun, entries);
    if (r % 20 === 0) await root.committed;
  }
  await root.committed;
  const probes = Array.from({ length: 200_000 }, nextHash);
  const measure = (label: string): void => {
    let t = performance.now();
    const runs = new DedupeRuns(root);
    runs.load();
    const loadMs = performance.now() - t;
    t = performance.now();
    let found = 0;
    for (const hash of probes) {
      const [hi, lo] = hashHalves(hash);
      if (runs.find(hi, lo) !== undefined) found++;
    }
    const us = ((performance.now() - t) * 1000) / probes.length;
    t = performance.now();
    for (const hash of present) {
      const [hi, lo] = hashHalves(hash);
      if (runs.find(hi, lo) !== undefined) found++;
    }
    const storedUs = ((performance.now() - t) * 1000) / present.length;
    console.log(
      `${label}: ${runs.runCount} runs, load ${loadMs.toFixed(0)} ms, new eventId lookup ${us.toFixed(2)} µs, stored ${storedUs.toFixed(2)} µs (${found} found)`,
    );
  };
  measure(`${runCount} runs of ${perRun}`);
  let merges = 0;
  const t = performance.now();
  for (let merge = writer.prepareMerge(); merge !== undefined; merge = writer.prepareMerge()) {
    root.transactionSync(() => writer.applyMerge(merge));
    merges++;
  }
  console.log(`${merges} merges in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  measure('merged');
} finally {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
}
