// The dedupe runs (one sorted run of (hash, seq) per checkpoint, merged by the consolidation): a lookup finds every
// stored entry and nothing else across merges at random points, merges prepared before another change (refused),
// readers that loaded before each change, reopens, a format-6 run beside format-7 ones, and a repair.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/dataset.js';
import { BloomFilter, bloomBitsFor } from '../../src/storage/bloom.js';
import { DedupeRuns, hashHalves, type DedupeEntry } from '../../src/storage/dedupe-runs.js';

/** Deterministic 64-bit hashes (an LCG; distinct for the counts used here). */
function hashes(seed: bigint): () => bigint {
  let x = seed;
  return () => (x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn);
}

function find(runs: DedupeRuns, hash: bigint): number | undefined {
  const [hi, lo] = hashHalves(hash);
  return runs.find(hi, lo);
}

function missedOf(runs: DedupeRuns, entries: readonly DedupeEntry[]): number {
  let missed = 0;
  for (const { hash, seq } of entries) if (find(runs, hash) !== seq) missed++;
  return missed;
}

/** Runs every merge due, as the consolidation does: prepared from the snapshot, applied in a transaction of its own. */
function mergeAll(root: RootDatabase, runs: DedupeRuns): number {
  let merges = 0;
  for (let merge = runs.prepareMerge(); merge !== undefined; merge = runs.prepareMerge()) {
    expect(root.transactionSync(() => runs.applyMerge(merge))).toBe(true);
    merges++;
  }
  return merges;
}

describe('dedupe runs', () => {
  let dir: string;
  let root: RootDatabase;
  afterEach(async () => {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('find every stored entry and no other through random appends and merges, in the writer and in readers loaded before each change', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-dedupe-runs-'));
    root = open({ path: dir, maxDbs: 10, noSync: true });
    const rnd = mulberry32(5);
    const next = hashes(7n);
    const absent = hashes(99n);
    const limit = 3_000;
    const writer = new DedupeRuns(root, limit);
    writer.load();
    // The consolidation's handle: it merges, and never looks up.
    const merger = new DedupeRuns(root, limit);
    merger.load();
    const written: DedupeEntry[] = [];
    let seq = 0;
    let merges = 0;
    for (let checkpoint = 0; checkpoint < 40; checkpoint++) {
      // A reader that loaded before this change, and must follow it on its next lookup.
      const reader = new DedupeRuns(root, limit);
      reader.load();
      const entries: DedupeEntry[] = [];
      const count = 1 + Math.floor(rnd() ** 2 * 1_500);
      for (let i = 0; i < count; i++) entries.push({ hash: next(), seq: ++seq });
      written.push(...entries.map((entry) => ({ ...entry })));
      root.transactionSync(() => writer.write(seq, entries));
      if (rnd() < 0.4) merges += mergeAll(root, rnd() < 0.5 ? writer : merger);
      else if (rnd() < 0.5) {
        const merge = merger.prepareMerge();
        if (merge !== undefined) expect(root.transactionSync(() => merger.applyMerge(merge))).toBe(true);
      }
      expect(missedOf(reader, written)).toBe(0);
      expect(reader.size).toBe(written.length);
    }
    merges += mergeAll(root, merger);
    // Filters are read by lookups only: the handle that merged and never looked up holds none of them.
    expect(merger.filtersRead).toBe(0);
    expect(merges).toBeGreaterThan(5);
    expect(writer.merges).toBeGreaterThanOrEqual(merges);
    expect(missedOf(writer, written)).toBe(0);
    expect(writer.filtersRead).toBe(writer.runCount);
    // Runs merge up to the limit, and no further: past it they stay as they are.
    expect(writer.runCount).toBeGreaterThanOrEqual(Math.ceil(written.length / limit));
    expect(writer.runCount).toBeLessThan(40);
    let stray = 0;
    for (let i = 0; i < 20_000; i++) if (find(writer, absent()) !== undefined) stray++;
    expect(stray).toBe(0);
    const reopened = new DedupeRuns(root, limit);
    reopened.load();
    expect(missedOf(reopened, written)).toBe(0);
    expect([...reopened.entries()].length).toBe(written.length);
  }, 60_000);

  it('refuses a merge prepared before another merge or a repair changed the runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-dedupe-runs-'));
    root = open({ path: dir, maxDbs: 10, noSync: true });
    const next = hashes(11n);
    const runs = new DedupeRuns(root);
    runs.load();
    const written: DedupeEntry[] = [];
    for (let r = 1; r <= 4; r++) {
      const entries = Array.from({ length: 100 }, (_, i) => ({ hash: next(), seq: r * 100 + i }));
      written.push(...entries.map((entry) => ({ ...entry })));
      root.transactionSync(() => runs.write(r * 100 + 99, entries));
    }
    const stale = runs.prepareMerge()!;
    const fresh = runs.prepareMerge()!;
    expect(root.transactionSync(() => runs.applyMerge(fresh))).toBe(true);
    expect(root.transactionSync(() => runs.applyMerge(stale))).toBe(false);
    expect(runs.runCount).toBe(1);
    expect(missedOf(runs, written)).toBe(0);

    for (const r of [5, 6]) {
      const entries = Array.from({ length: 100 }, (_, i) => ({ hash: next(), seq: r * 100 + i }));
      written.push(...entries.map((entry) => ({ ...entry })));
      root.transactionSync(() => runs.write(r * 100 + 99, entries));
    }
    const beforeRepair = runs.prepareMerge()!;
    expect(beforeRepair.group.map((run) => run.position)).toEqual([599, 699]);
    // A repair that rewrites the set as runs at the same positions, with an entry the prepared merge never read.
    written.push({ hash: next(), seq: 700 });
    root.transactionSync(() => {
      runs.clear();
      runs.write(
        599,
        written.slice(0, 300).map((entry) => ({ ...entry })),
      );
      runs.write(
        699,
        written.slice(300).map((entry) => ({ ...entry })),
      );
    });
    expect(root.transactionSync(() => runs.applyMerge(beforeRepair))).toBe(false);
    expect(runs.runCount).toBe(2);
    expect(missedOf(runs, written)).toBe(0);
  });

  it('a format-6 run (plain filter, no version entry) is found beside format-7 ones and merged with them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-dedupe-runs-'));
    root = open({ path: dir, maxDbs: 10, noSync: true });
    const next = hashes(13n);
    const blocks = root.openDB<Buffer, Buffer>({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' });
    const filters = root.openDB<Buffer, number>({ name: 'dedupe-filters', encoding: 'binary' });
    // The run as format 6 wrote it: blocks keyed [position u48][first hash u64], and [count u32][plain filter].
    const old = Array.from({ length: 700 }, (_, i) => ({ hash: next(), seq: i + 1 })).sort((a, b) => (a.hash < b.hash ? -1 : 1));
    const filter = new BloomFilter(bloomBitsFor(old.length));
    root.transactionSync(() => {
      for (let start = 0; start < old.length; start += 512) {
        const part = old.slice(start, start + 512);
        const block = Buffer.alloc(part.length * 14);
        part.forEach(({ hash, seq }, i) => {
          block.writeBigUInt64BE(hash, i * 14);
          block.writeUIntBE(seq, i * 14 + 8, 6);
          filter.add(...hashHalves(hash));
        });
        const key = Buffer.alloc(14);
        key.writeUIntBE(700, 0, 6);
        key.writeBigUInt64BE(part[0]!.hash, 6);
        blocks.putSync(key, block);
      }
      const header = Buffer.alloc(4);
      header.writeUInt32BE(old.length);
      filters.putSync(700, Buffer.concat([header, filter.toBuffer()]));
    });
    const runs = new DedupeRuns(root);
    runs.load();
    expect(missedOf(runs, old)).toBe(0);
    const later = Array.from({ length: 800 }, (_, i) => ({ hash: next(), seq: 701 + i }));
    root.transactionSync(() =>
      runs.write(
        1500,
        later.map((entry) => ({ ...entry })),
      ),
    );
    expect(runs.runCount).toBe(2);
    expect(missedOf(runs, [...old, ...later])).toBe(0);
    expect(mergeAll(root, runs)).toBe(1);
    expect(runs.runCount).toBe(1);
    expect(missedOf(runs, [...old, ...later])).toBe(0);
  });
});
