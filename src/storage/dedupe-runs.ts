// The dedupe set as written by checkpoints: one sorted run of (xxhash64, seq) per checkpoint, in blocks, each run
// with its Bloom filter stored beside it so an open needs no scan.

import type { Database, RootDatabase } from 'lmdb';
import { BlockedBloomFilter, BloomFilter, bloomBitsFor } from './bloom.js';
import { lastAtOrBefore } from './fences.js';
import { issued } from './issued.js';

/** Entries per block: one block is one LMDB value of 7 KiB. */
const BLOCK = 512;
/** One entry: hash u64, seq u48. */
const ENTRY_BYTES = 14;
const TWO_32 = 2 ** 32;

/**
 * A run in memory: its position (the checkpoint that wrote it), its filter, how many entries it holds, and the
 * first hash of each block (ascending), so a lookup reads its block with one exact get.
 */
interface Run {
  position: number;
  filter: BloomFilter;
  count: number;
  fences: BigUint64Array;
}

/**
 * A filter over the entries of consecutive whole runs, the newest at `position`. Closed segments are stored
 * (`dedupe-segments`, key: `position`) and never change; the open one is memory only, rebuilt at open from the
 * blocks of the runs after the newest closed segment.
 */
interface Segment {
  position: number;
  filter: BlockedBloomFilter;
  capacity: number;
  count: number;
}

/** Entries of the first segment; each later one holds at least twice as many as the one before. */
const FIRST_SEGMENT_ENTRIES = 2 ** 18;

/** One (hash, seq) entry being written. */
export interface DedupeEntry {
  hash: bigint;
  seq: number;
}

function blockKey(position: number, hash: bigint): Buffer {
  const key = Buffer.allocUnsafe(14);
  key.writeUInt16BE(Math.floor(position / TWO_32), 0);
  key.writeUInt32BE(position >>> 0, 2);
  key.writeBigUInt64BE(hash, 6);
  return key;
}

const halves = (hash: bigint): [number, number] => [Number(hash >> 32n), Number(hash & 0xffffffffn)];

/**
 * The runs of one store. A lookup first asks the segments: filters over whole runs, of doubling size (a scalable
 * Bloom filter, Almeida et al. 2007), six at 10M events where there are 200 runs. A new eventId — the common
 * case — is answered there, so its cost stays nearly flat as runs accumulate. A maybe asks each run's own filter,
 * and a run's maybe costs one range read of one block.
 */
export class DedupeRuns {
  private readonly blocks: Database<Buffer, Buffer>;
  private readonly filters: Database<Buffer, number>;
  private readonly segmentTree: Database<Buffer, number>;
  /** Newest first. */
  private runs: Run[] = [];
  /** Closed segments, oldest first, then the open one (if any): together they cover every run. */
  private segments: Segment[] = [];
  private open: Segment | undefined;

  /** `firstSegmentEntries`: tests make segments close after a few small runs. */
  constructor(
    root: RootDatabase,
    private readonly firstSegmentEntries: number = FIRST_SEGMENT_ENTRIES,
  ) {
    this.blocks = root.openDB({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' });
    this.filters = root.openDB({ name: 'dedupe-filters', encoding: 'binary' });
    this.segmentTree = root.openDB({ name: 'dedupe-segments', encoding: 'binary' });
  }

  /**
   * Reads every run's filter and the segments, and folds the runs no stored segment covers into the open one (at
   * open, and when a read-only handle sees new runs: then only what changed is read).
   */
  load(): void {
    const runs: Run[] = [];
    for (const { key, value } of this.filters.getRange())
      runs.push({ position: key, filter: BloomFilter.fromBuffer(value.subarray(4)), count: value.readUInt32BE(0), fences: this.readFences(key) });
    const positions = new Set(runs.map((run) => run.position));
    // Runs are only ever added, except by a repair, which rewrites them all (and removes the segments).
    if (this.segments.some((segment) => !positions.has(segment.position)) || (this.open !== undefined && !positions.has(this.open.position))) {
      this.segments = [];
      this.open = undefined;
    }
    const closedBefore = this.segments.length;
    for (const { key, value } of this.segmentTree.getRange({ start: (this.segments.at(-1)?.position ?? 0) + 1 })) {
      this.segments.push({
        position: key,
        filter: BlockedBloomFilter.fromBuffer(value.subarray(8)),
        capacity: value.readUInt32BE(4),
        count: value.readUInt32BE(0),
      });
    }
    if (this.segments.length > closedBefore) this.open = undefined;
    // The runs no closed segment covers go into one open segment, never closed here: a writer stores a segment
    // only when it closes one, so a segment closed at load would be missing from the store at the next open.
    const uncovered = runs.filter((run) => run.position > (this.segments.at(-1)?.position ?? 0));
    const entries = (list: readonly Run[]): number => list.reduce((sum, run) => sum + run.count, 0);
    const open = this.open;
    const added = uncovered.filter((run) => run.position > (open?.position ?? 0));
    if (open !== undefined && open.count + entries(added) <= open.capacity) {
      for (const run of added) this.foldStored(run, open);
    } else if (uncovered.length > 0) {
      const segment = this.openSegment(entries(uncovered));
      for (const run of uncovered) this.foldStored(run, segment);
    }
    this.runs = runs.reverse();
  }

  /** The first hash of each of a stored run's blocks, from their keys. */
  private readFences(position: number): BigUint64Array {
    const hashes: bigint[] = [];
    for (const key of this.blocks.getKeys({ start: blockKey(position, 0n), end: blockKey(position + 1, 0n) })) hashes.push(key.readBigUInt64BE(6));
    return BigUint64Array.from(hashes);
  }

  /** Adds a stored run to `segment`, reading its blocks in order (a hash's halves are its first 8 bytes). */
  private foldStored(run: Run, segment: Segment): void {
    for (const { value: block } of this.blocks.getRange({ start: blockKey(run.position, 0n), end: blockKey(run.position + 1, 0n) })) {
      for (let at = 0; at < block.length; at += ENTRY_BYTES) segment.filter.add(block.readUInt32BE(at), block.readUInt32BE(at + 4));
    }
    segment.count += run.count;
    segment.position = run.position;
  }

  /**
   * The open segment, with room for `entries` more (a run being written): when they would not fit, the open one is
   * closed — issued to the segment tree with the transaction being staged — and a new one opened.
   */
  private segmentFor(entries: number): Segment {
    const open = this.open;
    if (open !== undefined && open.count > 0 && open.count + entries > open.capacity) {
      const header = Buffer.allocUnsafe(8);
      header.writeUInt32BE(open.count, 0);
      header.writeUInt32BE(open.capacity, 4);
      issued(this.segmentTree.put(open.position, Buffer.concat([header, open.filter.toBuffer()])));
      this.segments.push(open);
      this.open = undefined;
    }
    return this.open ?? this.openSegment(entries);
  }

  /** Opens an empty segment with room for `entries`, and at least twice the last closed one's. */
  private openSegment(entries: number): Segment {
    const capacity = Math.max(entries, 2 * (this.segments.at(-1)?.capacity ?? this.firstSegmentEntries / 2));
    this.open = { position: 0, filter: new BlockedBloomFilter(BlockedBloomFilter.bitsLog2For(capacity)), capacity, count: 0 };
    return this.open;
  }

  /** False when no run can hold the hash. */
  private inSegments(hi: number, lo: number): boolean {
    if (this.open?.filter.mightContain(hi, lo) === true) return true;
    for (const segment of this.segments) if (segment.filter.mightContain(hi, lo)) return true;
    return false;
  }

  /** Entries in every run. */
  get size(): number {
    let count = 0;
    for (const run of this.runs) count += run.count;
    return count;
  }

  get newestPosition(): number {
    return this.runs[0]?.position ?? 0;
  }

  /** The seq stored under `hash` in any run, or undefined. `hi`/`lo` are the hash's halves (for the filters). */
  find(hash: bigint, hi: number, lo: number, checkFilters: boolean): number | undefined {
    if (checkFilters && !this.inSegments(hi, lo)) return undefined;
    for (const run of this.runs) {
      if (checkFilters && !run.filter.mightContain(hi, lo)) continue;
      const seq = this.findInRun(run, hash);
      if (seq !== undefined) return seq;
    }
    return undefined;
  }

  private findInRun(run: Run, hash: bigint): number | undefined {
    // The block that can hold the hash: the last whose first hash is at most it.
    const { fences } = run;
    const index = lastAtOrBefore(fences, hash);
    if (index < 0) return undefined;
    // Valid until the next read: searched at once, nothing kept.
    const block = this.blocks.getBinaryFast(blockKey(run.position, fences[index]!));
    if (block === undefined) return undefined;
    let lo = 0;
    let hi = block.length / ENTRY_BYTES;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = block.readBigUInt64BE(mid * ENTRY_BYTES);
      if (at === hash) return block.readUInt16BE(mid * ENTRY_BYTES + 8) * TWO_32 + block.readUInt32BE(mid * ENTRY_BYTES + 10);
      if (at < hash) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  /** Issues a run of `entries` (any order) at `position`, with the transaction being staged. */
  write(position: number, entries: DedupeEntry[]): void {
    if (entries.length === 0) return;
    entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const filter = new BloomFilter(bloomBitsFor(entries.length));
    const segment = this.segmentFor(entries.length);
    const fences = new BigUint64Array(Math.ceil(entries.length / BLOCK));
    for (let start = 0; start < entries.length; start += BLOCK) {
      const end = Math.min(entries.length, start + BLOCK);
      const block = Buffer.allocUnsafe((end - start) * ENTRY_BYTES);
      for (let i = start, at = 0; i < end; i++, at += ENTRY_BYTES) {
        const { hash, seq } = entries[i]!;
        block.writeBigUInt64BE(hash, at);
        block.writeUInt16BE(Math.floor(seq / TWO_32), at + 8);
        block.writeUInt32BE(seq >>> 0, at + 10);
        const [hi, lo] = halves(hash);
        filter.add(hi, lo);
        segment.filter.add(hi, lo);
      }
      fences[start / BLOCK] = entries[start]!.hash;
      issued(this.blocks.put(blockKey(position, entries[start]!.hash), block));
    }
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(entries.length, 0);
    issued(this.filters.put(position, Buffer.concat([header, filter.toBuffer()])));
    this.runs.unshift({ position, filter, count: entries.length, fences });
    segment.count += entries.length;
    segment.position = position;
  }

  /** Every (hash, seq) stored, for verify. */
  *entries(): Generator<DedupeEntry> {
    for (const { value: block } of this.blocks.getRange()) {
      for (let at = 0; at < block.length; at += ENTRY_BYTES) {
        yield { hash: block.readBigUInt64BE(at), seq: block.readUInt16BE(at + 8) * TWO_32 + block.readUInt32BE(at + 10) };
      }
    }
  }

  /** Removes every run (a repair writes the whole set as one run). */
  clear(): void {
    for (const key of this.blocks.getKeys()) issued(this.blocks.remove(key));
    for (const key of this.filters.getKeys()) issued(this.filters.remove(key));
    for (const key of this.segmentTree.getKeys()) issued(this.segmentTree.remove(key));
    this.runs = [];
    this.segments = [];
    this.open = undefined;
  }
}

export { halves as hashHalves };
