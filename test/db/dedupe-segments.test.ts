// The dedupe runs' segments (filters over whole runs, closed ones stored): no stored entry is ever missed, across
// closes, reopens, a reader's incremental reloads and a repair that rewrites the runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { DedupeRuns, hashHalves, type DedupeEntry } from '../../src/storage/dedupe-runs.js';

/** Entries per run, and of the first segment: segments close after a few runs, as at 2^18 with real runs. */
const RUN = 2_000;
const FIRST = 8_192;

/** Deterministic 64-bit hashes (an LCG; distinct for the counts used here). */
function hashes(seed: bigint): () => bigint {
  let x = seed;
  return () => (x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn);
}

/** Writes runs `from … from + count - 1` of RUN fresh entries through `runs`, each committed; `written` gets copies. */
async function writeRuns(root: RootDatabase, runs: DedupeRuns, next: () => bigint, written: DedupeEntry[], from: number, count: number): Promise<void> {
  for (let r = from; r < from + count; r++) {
    const entries: DedupeEntry[] = [];
    for (let i = 0; i < RUN; i++) entries.push({ hash: next(), seq: r * RUN + i });
    written.push(...entries.map((entry) => ({ ...entry })));
    runs.write(r * RUN, entries);
    await root.committed;
  }
}

function find(runs: DedupeRuns, hash: bigint): number | undefined {
  const [hi, lo] = hashHalves(hash);
  return runs.find(hash, hi, lo, true);
}

describe('dedupe run segments', () => {
  let dir: string;
  let root: RootDatabase;
  afterEach(async () => {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a store whose runs have no segments (written before them) gets one at open, stored when it closes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-segments-'));
    root = open({ path: dir, maxDbs: 10, noSync: true });
    const next = hashes(11n);
    const written: DedupeEntry[] = [];
    const segmentTree = root.openDB({ name: 'dedupe-segments', encoding: 'binary' });
    // Twelve runs and no segment stored, as a store written before segments existed.
    const before = new DedupeRuns(root, 2 ** 30);
    before.load();
    await writeRuns(root, before, next, written, 1, 12);
    expect(segmentTree.getKeysCount()).toBe(0);
    // Its next writer folds all twelve (24,000 entries, three first segments' worth) into one open segment,
    // which the next run closes and stores.
    const writer = new DedupeRuns(root, FIRST);
    writer.load();
    await writeRuns(root, writer, next, written, 13, 3);
    expect(segmentTree.getKeysCount()).toBe(1);
    const reopened = new DedupeRuns(root, FIRST);
    reopened.load();
    let missed = 0;
    for (const { hash, seq } of written) if (find(reopened, hash) !== seq) missed++;
    expect(missed).toBe(0);
  });

  it('find every stored entry after segments close, after a reopen, incrementally in a reader, and after a repair', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-segments-'));
    root = open({ path: dir, maxDbs: 10, noSync: true });
    const next = hashes(7n);
    const written: DedupeEntry[] = [];
    const writer = new DedupeRuns(root, FIRST);
    writer.load();
    const expectAllFound = (runs: DedupeRuns, entries: readonly DedupeEntry[]): void => {
      let missed = 0;
      for (const { hash, seq } of entries) if (find(runs, hash) !== seq) missed++;
      expect(missed).toBe(0);
    };

    // 7 runs: the first segment (8,192 entries) is full after four; the fifth closes and stores it and opens the next.
    await writeRuns(root, writer, next, written, 1, 7);
    expect(root.openDB({ name: 'dedupe-segments', encoding: 'binary' }).getKeysCount()).toBe(1);
    expectAllFound(writer, written);
    const absent = hashes(99n);
    for (let i = 0; i < 10_000; i++) expect(find(writer, absent())).toBeUndefined();

    // A reopen reads the stored segment and folds the runs after it; a reader then follows new runs.
    const reader = new DedupeRuns(root, FIRST);
    reader.load();
    expectAllFound(reader, written);
    await writeRuns(root, writer, next, written, 8, 12); // the second segment (16,384 entries) closes at run 13
    expect(root.openDB({ name: 'dedupe-segments', encoding: 'binary' }).getKeysCount()).toBe(2);
    reader.load();
    expect(reader.size).toBe(written.length);
    expectAllFound(reader, written);

    // A repair rewrites the runs as one: the reader drops every segment and finds the new entries only.
    writer.clear();
    const repaired: DedupeEntry[] = [];
    for (let i = 0; i < 30_000; i++) repaired.push({ hash: next(), seq: i + 1 });
    writer.write(
      30_000,
      repaired.map((entry) => ({ ...entry })),
    );
    await root.committed;
    reader.load();
    expectAllFound(reader, repaired);
    expectAllFound(writer, repaired);
    let stale = 0;
    for (let i = 0; i < written.length; i += 7) if (find(reader, written[i]!.hash) !== undefined) stale++;
    expect(stale).toBe(0);
  }, 60_000);
});
