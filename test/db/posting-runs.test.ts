// The index's posting runs (one sorted run of every key's postings per checkpoint, in blocks, merged by the
// consolidation): a lookup finds exactly the postings each run holds for a key — whatever the key's characters,
// length or posting count — across merges, reopens, readers that follow their snapshot, and a repair that removes
// them.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadHasher } from '../../src/storage/hash.js';
import { decodeChunk, encodeChunk } from '../../src/storage/posting-chunk.js';
import { PostingRuns, type RunEntry } from '../../src/storage/posting-runs.js';
import { mergeGroupOf } from '../../src/storage/run-version.js';

/** A deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values of every shape a key can take: ASCII, accents, CJK, astral characters (surrogate pairs), up to 256 characters. */
const ALPHABET = ['a', 'b', 'z', '0', '-', 'é', 'ß', '中', '\u{1F600}', '\u{10FFFF}', '\uFFFD', ' '];
function valueOf(next: () => number): string {
  const length = 1 + Math.floor(next() ** 3 * 256);
  let text = '';
  while (text.length < length) text += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  return text;
}

/** A run's entries: distinct keys, sorted as a checkpoint sorts them; some with enough postings to fill several blocks. */
function runOf(next: () => number, keys: readonly [number, string][], seq: { next: number }): RunEntry[] {
  const chosen = new Map<string, [number, string]>();
  const count = 1 + Math.floor(next() * keys.length);
  for (let i = 0; i < count; i++) {
    const key = keys[Math.floor(next() * keys.length)]!;
    chosen.set(`${key[0]}:${key[1]}`, key);
  }
  const entries = [...chosen.values()].map(([kind, value]) => {
    const postings = next() < 0.05 ? 300 + Math.floor(next() * 900) : 1 + Math.floor(next() * 5);
    // Sorted (time, seq) pairs, times spread so that runs overlap in time and merging must interleave them.
    const pairs = Buffer.alloc(postings * 14);
    const times = Array.from({ length: postings }, () => Math.floor(next() * 1000)).sort((a, b) => a - b);
    for (let i = 0; i < postings; i++) {
      pairs.writeUInt32BE(times[i]!, i * 14 + 4);
      pairs.writeUIntBE(seq.next++, i * 14 + 8, 6);
    }
    return { kind, value, pairs };
  });
  return entries.sort((a, b) => a.kind - b.kind || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/**
 * A chunk's pairs as fixed-width text that sorts as the pairs do. The runs written here use the fixed 14-byte layout
 * of stores before format 11; merges write packed chunks (posting-chunk.ts): both decode the same.
 */
const records = (pairs: Buffer): string[] => {
  const { times, seqs } = decodeChunk(pairs);
  return seqs.map((seq, i) => `${String(times[i]! + 2 ** 46).padStart(16, '0')}:${String(seq).padStart(16, '0')}`);
};

describe('posting runs', () => {
  let dir: string;
  let root: RootDatabase;
  beforeAll(loadHasher);
  afterEach(async () => {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('find returns exactly the postings written for a key, as runs are appended and merged, after reopening', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-posting-runs-'));
    root = open({ path: dir, maxDbs: 8 });
    const next = random(7);
    const keys: [number, string][] = Array.from({ length: 400 }, () => [1 + Math.floor(next() * 5), valueOf(next)]);
    // Keys that differ only in their kind, and values that are prefixes of one another.
    keys.push([2, 'shared'], [3, 'shared'], [2, 'shared-longer'], [2, 'sharee']);
    const writer = new PostingRuns(root);
    const reader = new PostingRuns(root);
    const merger = new PostingRuns(root);
    /** Every pair written per key, as hex records. */
    const model = new Map<string, string[]>();
    const expected = (kind: number, value: string): string[] => [...(model.get(`${kind}:${value}`) ?? [])].sort();
    const found = (runs: PostingRuns, kind: number, value: string): string[] => runs.find(kind, value, Number.POSITIVE_INFINITY).flatMap(records).sort();
    const absent: [number, string][] = [
      [1, 'never-written'],
      [4, ''],
      [9, 'shared'],
    ];
    const seq = { next: 1 };
    let merges = 0;
    for (let r = 1; r <= 12; r++) {
      const entries = runOf(next, keys, seq);
      const position = r * 1000;
      // The reader loads the runs before this checkpoint: it must see the new run (and, below, the merges) by itself.
      expect(found(reader, keys[0]![0], keys[0]![1])).toEqual(expected(keys[0]![0], keys[0]![1]));
      root.transactionSync(() => writer.write(position, entries));
      for (const { kind, value, pairs } of entries) model.set(`${kind}:${value}`, [...(model.get(`${kind}:${value}`) ?? []), ...records(pairs)]);
      // A checkpoint whose commit fails changes nothing a lookup sees.
      expect(() =>
        root.transactionSync(() => {
          writer.write(position + 500, runOf(next, keys, { next: 10 ** 9 }));
          throw new Error('the commit fails');
        }),
      ).toThrow('the commit fails');
      // The consolidation merges at random points, each merge prepared from the snapshot, then applied; a merge
      // prepared before another one lands is refused.
      if (next() < 0.7) {
        const merge = merger.prepareMerge();
        const stale = next() < 0.3 ? merger.prepareMerge() : undefined;
        if (merge !== undefined) {
          expect(root.transactionSync(() => merger.applyMerge(merge))).toBe(true);
          merges++;
          if (stale !== undefined) expect(root.transactionSync(() => merger.applyMerge(stale))).toBe(false);
        }
      }
      for (const [kind, value] of keys.filter((_, i) => i % 7 === r % 7)) {
        expect(found(writer, kind, value)).toEqual(expected(kind, value));
        expect(found(reader, kind, value)).toEqual(expected(kind, value));
      }
    }
    expect(merges).toBeGreaterThan(2);
    while (merger.mergeDue()) {
      const merge = merger.prepareMerge()!;
      root.transactionSync(() => merger.applyMerge(merge));
    }
    // Filters are read by lookups only: the consolidation's handle, which merges by fences and blocks, holds none.
    expect(merger.filtersRead).toBe(0);
    expect(reader.filtersRead).toBeGreaterThan(0);
    // Merged as a binary counter by bytes: each run kept is larger than every newer one together, so twelve
    // checkpoints leave at most five (and each key is in each run at most once).
    expect(writer.size).toBeLessThanOrEqual(5);
    const reopened = new PostingRuns(root);
    for (const [kind, value] of [...keys, ...absent]) {
      for (const runs of [writer, reader, reopened]) {
        expect(found(runs, kind, value)).toEqual(expected(kind, value));
        expect(runs.find(kind, value, Number.POSITIVE_INFINITY).length).toBeLessThanOrEqual(writer.size);
      }
    }
    const stored = [...writer.entries()];
    expect(new Set(stored.map((e) => `${e.kind}:${e.value}`)).size).toBe(model.size);
    for (const { pairs } of stored) expect(records(pairs)).toEqual([...records(pairs)].sort()); // merged in (time, seq) order

    // A repair removes every run and writes one anew: a reader reloads all of it, and a merge prepared before it is refused.
    const rewritten = runOf(next, keys, seq);
    const extra = runOf(next, keys, seq);
    root.transactionSync(() => writer.write(99_000, extra));
    root.transactionSync(() => writer.write(99_500, extra)); // as large as the run before it: a merge is due
    const before = merger.prepareMerge()!;
    expect(before).toBeDefined();
    root.transactionSync(() => {
      writer.clear();
      writer.write(500, rewritten);
    });
    expect(root.transactionSync(() => merger.applyMerge(before))).toBe(false);
    for (const [kind, value] of keys) {
      const want = rewritten.filter((e) => e.kind === kind && e.value === value).flatMap((e) => records(e.pairs));
      expect(found(reader, kind, value)).toEqual(want.sort());
      expect(found(writer, kind, value)).toEqual(want);
    }
  });

  it('stops merging at the size limit: runs beyond it are kept, and every posting is still found', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-posting-runs-'));
    root = open({ path: dir, maxDbs: 8 });
    const next = random(11);
    const keys: [number, string][] = Array.from({ length: 300 }, () => [3, valueOf(next)]);
    const limit = 60_000;
    const writer = new PostingRuns(root, limit);
    const model = new Map<string, string[]>();
    const seq = { next: 1 };
    let windows = 0;
    for (let r = 1; r <= 24; r++) {
      const entries = runOf(next, keys, seq);
      const position = r * 1000;
      root.transactionSync(() => writer.write(position, entries));
      for (let merge = writer.prepareMerge(); merge !== undefined; merge = writer.prepareMerge()) root.transactionSync(() => writer.applyMerge(merge));
      windows += entries.reduce((sum, e) => sum + 7 + Buffer.byteLength(e.value) + e.pairs.length, 0) > limit ? 1 : 0;
      for (const { kind, value, pairs } of entries) model.set(`${kind}:${value}`, [...(model.get(`${kind}:${value}`) ?? []), ...records(pairs)]);
    }
    // No merge made a run past the limit (a single window larger than it stays whole), and the limit left more runs
    // than a binary counter over 24 checkpoints would (at most five).
    expect(writer.runBytes.filter((bytes) => bytes > limit).length).toBeLessThanOrEqual(windows);
    expect(writer.size).toBeGreaterThan(5);
    for (const [kind, value] of keys) {
      expect(writer.find(kind, value, Number.POSITIVE_INFINITY).flatMap(records).sort()).toEqual([...(model.get(`${kind}:${value}`) ?? [])].sort());
    }
  });
});

/**
 * The bytes of a run of 400 keys of every shape (six kinds, values up to 256 characters, some with up to 1,200
 * postings: entries larger than a block), as stores before the run builder wrote them: blocks, filter and fences.
 */
const RUN_DIGEST = 'a4219885e35a7f64bf7318c73a853c803182769975d3531ef389af6cf1d29ffd';

async function digestRun(write: (runs: PostingRuns, entries: RunEntry[]) => void): Promise<string> {
  const next = random(5);
  const keys = new Map<string, [number, string]>();
  while (keys.size < 400) {
    const kind = 1 + Math.floor(next() * 6);
    const length = 1 + Math.floor(next() ** 3 * 256);
    let value = '';
    while (value.length < length) value += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
    keys.set(`${kind}:${value}`, [kind, value]);
  }
  let seq = 1;
  const entries = [...keys.values()]
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([kind, value]) => {
      const count = next() < 0.05 ? 300 + Math.floor(next() * 900) : 1 + Math.floor(next() * 5);
      const times = Array.from({ length: count }, () => 1_700_000_000_000 + Math.floor(next() * 1e9)).sort((a, b) => a - b);
      return {
        kind,
        value,
        pairs: encodeChunk(
          times,
          times.map(() => seq++),
        ),
      };
    });
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-run-bytes-'));
  const root = open({ path: dir, maxDbs: 8 });
  try {
    const runs = new PostingRuns(root);
    root.transactionSync(() => write(runs, entries));
    const hash = createHash('sha256');
    for (const name of ['posting-blocks', 'posting-runs']) {
      for (const { key, value } of root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }).getRange()) hash.update(key).update(value);
    }
    return hash.digest('hex');
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the bytes of a run', () => {
  it('are those earlier versions wrote, whether a run is written from stored chunks (a merge) or from flat postings (a checkpoint)', async () => {
    expect(await digestRun((runs, entries) => runs.write(1000, entries))).toBe(RUN_DIGEST);
    expect(
      await digestRun((runs, entries) => {
        const builder = runs.builder(1000, entries.length);
        for (const { kind, value, pairs } of entries) {
          const { times, seqs } = decodeChunk(pairs);
          builder.addFlat(
            kind,
            value,
            times.flatMap((time, i) => [time, seqs[i]!]),
            2 * seqs.length,
          );
        }
        runs.writeBuilt(builder);
      }),
    ).toBe(RUN_DIGEST);
  });
});

describe('the merge policy of runs', () => {
  const group = (sizes: number[], limit = 1_000): number[] => mergeGroupOf(sizes, (size) => size, limit);

  it('merges the newest runs no larger than the newer ones together, as a binary counter does', () => {
    expect(group([8, 4, 2, 1, 1])).toEqual([8, 4, 2, 1, 1]);
    expect(group([8, 4, 2, 1])).toEqual([]);
    expect(group([8, 4, 2, 2])).toEqual([8, 4, 2, 2]);
    expect(group([16, 4, 2, 2])).toEqual([4, 2, 2]);
    expect(group([5])).toEqual([]);
  });

  it('does not let a small newest run (a checkpoint at close) hold back the merge of the runs before it', () => {
    // Checkpoints of one size write runs a few bytes apart (packed chunks vary with the postings' spacing).
    expect(group([3_000_020, 3_000_010, 2_999_990, 3_000_000, 1_070_000], 64 * 2 ** 20)).toEqual([3_000_020, 3_000_010, 2_999_990, 3_000_000]);
  });

  it('stops at the limit', () => {
    expect(group([600, 300, 200, 200], 800)).toEqual([300, 200, 200]);
  });
});
