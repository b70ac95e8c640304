// The dedupe set as written by checkpoints: one sorted run of (xxhash64, seq) per checkpoint, in blocks, each run
// with its Bloom filter stored beside it so an open needs no scan; the consolidation merges runs, so a lookup asks
// a few of them however many checkpoints the store has seen.

import type { Database, RootDatabase } from 'lmdb';
import { BlockedBloomFilter, BloomFilter } from './bloom.js';
import { issued } from './issued.js';
import { mergeGroupOf, putRunVersion, readRunVersion, sameRunVersion, VERSION_KEY, type RunVersion } from './run-version.js';

/** Entries per block: one block is one LMDB value of 7 KiB. */
const BLOCK = 512;
/** One entry: hash u64, seq u48. */
const ENTRY_BYTES = 14;
const TWO_32 = 2 ** 32;
/**
 * Entries a merged run may reach (56 MiB of blocks and an 8 MiB filter): past it runs are left as they are. It bounds
 * one merge's work, memory and write-lock time, at the cost of one more run per 4M events for a lookup to ask.
 */
const MERGE_LIMIT_ENTRIES = 2 ** 22;
/** A filter entry's count has this bit set when its filter is blocked and a serial follows (format 7). */
const BLOCKED = 0x80000000;

/** What a lookup asks of a run's filter (blocked, or plain in a format-6 run). */
interface Filter {
  mightContain(hi: number, lo: number): boolean;
}

/**
 * A run in memory: its position (the checkpoint that wrote it, or the newest of those merged into it), its filter,
 * how many entries it holds, and the first hash of each block (ascending), so a lookup reads its block with one
 * exact get. `serial` tells a run from another written later at the same position (a merge's); 0 for a run of a
 * format-6 store (plain filter), which is only ever replaced by a merge.
 */
interface Run {
  position: number;
  /**
   * Read at the first lookup that asks the run (`filterOf`): a handle that never looks up (the consolidation's
   * thread, which merges runs by their counts and blocks) holds no copy of the filters.
   */
  filter: Filter | undefined;
  count: number;
  serial: number;
  /** Each block's first hash as its two unsigned halves: searched as numbers, no BigInt per step. */
  fenceHi: Uint32Array;
  fenceLo: Uint32Array;
}

/** A merge computed from the consolidation's snapshot: the runs it replaces and the blocks of the one it writes. */
export interface PreparedDedupeMerge {
  group: Run[];
  merges: number;
  position: number;
  count: number;
  filter: BlockedBloomFilter;
  blocks: Buffer[];
}

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

/** The key of a run's block whose first hash has the halves `hi`, `lo`, written into `key` (a lookup reuses one). */
function blockKeyOf(key: Buffer, position: number, hi: number, lo: number): Buffer {
  key.writeUInt16BE(Math.floor(position / TWO_32), 0);
  key.writeUInt32BE(position >>> 0, 2);
  key.writeUInt32BE(hi, 6);
  key.writeUInt32BE(lo, 10);
  return key;
}

/** The index of the last fence at or before the hash (hi, lo), -1 when it is before the first. */
function lastFenceAtOrBefore(fenceHi: Uint32Array, fenceLo: Uint32Array, hi: number, lo: number): number {
  let low = 0;
  let high = fenceHi.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const h = fenceHi[mid]!;
    if (h < hi || (h === hi && fenceLo[mid]! <= lo)) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/** What a lookup asks of a run whose filter it could not read as loaded: every hash may be there. */
const ANY: Filter = { mightContain: () => true };

const halves = (hash: bigint): [number, number] => [Number(hash >> 32n), Number(hash & 0xffffffffn)];

/**
 * The runs of one store. A lookup asks each run's filter, newest first, and a run's maybe costs one exact get of
 * one block. The consolidation (a worker thread) merges the newest runs no larger than the newer ones together (a
 * binary counter: about log2(checkpoints) runs, each entry rewritten as often), up to `mergeLimit` entries per run.
 *
 * Every reader follows its own snapshot: the filter tree's version entry counts the runs appended and the merges
 * (and repairs) done, and a lookup that finds nothing in the runs it loaded compares it with what it loaded, in the
 * same snapshot as the blocks it read (see `find`).
 */
export class DedupeRuns {
  private readonly blocks: Database<Buffer, Buffer>;
  /** position → `[count u32 | BLOCKED][serial u32][filter]` (format 6: `[count u32][plain filter]`); 0 → the version. */
  private readonly filters: Database<Buffer, number>;
  /** Format 6's filters over whole runs; emptied by the upgrade to format 7 (see `dropSegments`). */
  private readonly segmentTree: Database<Buffer, number>;
  /** Newest first, as the snapshot of the last `sync` holds them. */
  private runs: Run[] = [];
  private loadedVersion: RunVersion | undefined;
  /** The block key a lookup writes (lmdb-js copies a key before it reads). */
  private readonly lookupKey = Buffer.allocUnsafe(14);
  /**
   * Set inside a write transaction of this thread (`Storage.transact`), once the runs are synced: nothing but this
   * transaction can change them there, so a lookup does not read the version again. A write of the runs clears it.
   */
  private held = false;

  /** `mergeLimit`: tests make runs reach the limit with a few small checkpoints. */
  constructor(
    root: RootDatabase,
    private readonly mergeLimit: number = MERGE_LIMIT_ENTRIES,
  ) {
    this.blocks = root.openDB({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' });
    this.filters = root.openDB({ name: 'dedupe-filters', encoding: 'binary' });
    this.segmentTree = root.openDB({ name: 'dedupe-segments', encoding: 'binary' });
  }

  private version(): RunVersion {
    return readRunVersion(this.filters);
  }

  private putVersion(version: RunVersion): void {
    putRunVersion(this.filters, version);
    this.held = false;
  }

  /** Reads the runs of the current snapshot (at open; every lookup follows the snapshot by itself). */
  load(): void {
    this.sync();
  }

  /**
   * Runs `fn`, a write transaction of this thread, with the runs synced once: its snapshot moves only by its own
   * writes, and those (`write`, `applyMerge`, `clear`) sync again at the next lookup.
   */
  holding<T>(fn: () => T): T {
    this.sync();
    this.held = true;
    try {
      return fn();
    } finally {
      this.held = false;
    }
  }

  /**
   * Brings the loaded runs to the current snapshot: nothing when its version is the one loaded; otherwise the runs
   * it holds, keeping those loaded already (same position and serial) and reading the others' filters and fences.
   */
  private sync(): Run[] {
    const version = this.version();
    const known = this.loadedVersion;
    if (sameRunVersion(known, version)) return this.runs;
    const loaded = new Map(this.runs.map((run) => [run.position, run]));
    const runs: Run[] = [];
    for (const position of [...this.filters.getKeys({ start: VERSION_KEY + 1 })]) {
      // Valid until the next read: the header is read, the filter copied, before the fences are read.
      const bytes = this.filters.getBinaryFast(position)!;
      const header = bytes.readUInt32BE(0);
      const blocked = (header & BLOCKED) !== 0;
      const serial = blocked ? bytes.readUInt32BE(4) : 0;
      const count = blocked ? header - BLOCKED : header;
      const known = loaded.get(position);
      if (known !== undefined && known.serial === serial && known.count === count) {
        runs.push(known);
        continue;
      }
      runs.push({ position, filter: undefined, count, serial, ...this.readFences(position) });
    }
    this.runs = runs.reverse();
    this.loadedVersion = version;
    return this.runs;
  }

  /** The first hash of each of a stored run's blocks, from their keys. */
  private readFences(position: number): { fenceHi: Uint32Array; fenceLo: Uint32Array } {
    const hi: number[] = [];
    const lo: number[] = [];
    for (const key of this.blocks.getKeys({ start: blockKey(position, 0n), end: blockKey(position + 1, 0n) })) {
      hi.push(key.readUInt32BE(6));
      lo.push(key.readUInt32BE(10));
    }
    return { fenceHi: Uint32Array.from(hi), fenceLo: Uint32Array.from(lo) };
  }

  /** Entries in every run. */
  get size(): number {
    let count = 0;
    for (const run of this.sync()) count += run.count;
    return count;
  }

  /** Runs a lookup may ask (the current snapshot's). */
  get runCount(): number {
    return this.sync().length;
  }

  /** Loaded runs whose filter a lookup has read (tests: a handle that only merges reads none). */
  get filtersRead(): number {
    return this.runs.filter((run) => run.filter !== undefined).length;
  }

  /** Merges (and repairs) done so far, as the current snapshot holds them (tests, the crash loop's log). */
  get merges(): number {
    return this.version().merges;
  }

  /**
   * The seq stored under `hash` in any run, or undefined. `hi`/`lo` are the hash's halves (for the filters).
   *
   * The runs loaded last are asked first, without reading the version: an entry found is in a block read in the
   * current snapshot, so it is stored there whichever run's fences led to it (a merge that replaced the run may
   * have written a block under the same key; its entries are as true). Only a miss can be stale (a run appended
   * or merged since, a filter of a run gone), so a miss outside a write transaction syncs and, when the runs
   * changed, asks them again.
   */
  find(hi: number, lo: number): number | undefined {
    const loaded = this.runs;
    const seq = this.findIn(loaded, hi, lo);
    if (seq !== undefined || this.held) return seq;
    const runs = this.sync();
    return runs === loaded ? undefined : this.findIn(runs, hi, lo);
  }

  private findIn(runs: readonly Run[], hi: number, lo: number): number | undefined {
    for (const run of runs) {
      if (!(run.filter ?? this.filterOf(run)).mightContain(hi, lo)) continue;
      const seq = this.findInRun(run, hi, lo);
      if (seq !== undefined) return seq;
    }
    return undefined;
  }

  /**
   * Reads a run's filter, in the lookup's snapshot, which may be later than the one the run was loaded from: when
   * the entry there is still this run's (same serial and count), it is kept; when a merge has replaced or removed
   * the run, every hash is a maybe for this lookup (its blocks, read in the same snapshot, decide, and a miss syncs).
   */
  private filterOf(run: Run): Filter {
    const bytes = this.filters.getBinaryFast(run.position);
    if (bytes === undefined) return ANY;
    const header = bytes.readUInt32BE(0);
    const blocked = (header & BLOCKED) !== 0;
    if ((blocked ? bytes.readUInt32BE(4) : 0) !== run.serial || (blocked ? header - BLOCKED : header) !== run.count) return ANY;
    run.filter = blocked ? BlockedBloomFilter.fromBuffer(bytes.subarray(8)) : BloomFilter.fromBuffer(bytes.subarray(4));
    return run.filter;
  }

  private findInRun(run: Run, hi: number, lo: number): number | undefined {
    // The block that can hold the hash: the last whose first hash is at most it.
    const index = lastFenceAtOrBefore(run.fenceHi, run.fenceLo, hi, lo);
    if (index < 0) return undefined;
    // Valid until the next read: searched at once, nothing kept. Hashes compare as two unsigned halves (no BigInt).
    const block = this.blocks.getBinaryFast(blockKeyOf(this.lookupKey, run.position, run.fenceHi[index]!, run.fenceLo[index]!));
    if (block === undefined) return undefined;
    let low = 0;
    let high = block.length / ENTRY_BYTES;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = mid * ENTRY_BYTES;
      const h = block.readUInt32BE(at);
      const order = h !== hi ? h - hi : block.readUInt32BE(at + 4) - lo;
      if (order === 0) return block.readUInt16BE(at + 8) * TWO_32 + block.readUInt32BE(at + 10);
      if (order < 0) low = mid + 1;
      else high = mid;
    }
    return undefined;
  }

  /** Issues a run of `entries` (any order) at `position`, with the transaction being staged (a repair's whole set). */
  write(position: number, entries: readonly DedupeEntry[]): void {
    const his = new Uint32Array(entries.length);
    const los = new Uint32Array(entries.length);
    const seqs = new Float64Array(entries.length);
    entries.forEach(({ hash, seq }, i) => {
      [his[i], los[i]] = halves(hash);
      seqs[i] = seq;
    });
    this.writeColumns(position, his, los, seqs);
  }

  /**
   * Issues a run at `position` of the entries whose hash halves and seqs are at the same index of `his`, `los` and
   * `seqs` (any order), with the transaction being staged. Sorted by index, comparing numbers: no BigInt per entry.
   */
  writeColumns(position: number, his: Uint32Array, los: Uint32Array, seqs: Float64Array): void {
    const count = his.length;
    if (count === 0) return;
    const order = new Uint32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((a, b) => his[a]! - his[b]! || los[a]! - los[b]!);
    const filter = new BlockedBloomFilter(BlockedBloomFilter.bitsLog2For(count));
    for (let start = 0; start < count; start += BLOCK) {
      const end = Math.min(count, start + BLOCK);
      const block = Buffer.allocUnsafe((end - start) * ENTRY_BYTES);
      for (let i = start, at = 0; i < end; i++, at += ENTRY_BYTES) {
        const entry = order[i]!;
        const hi = his[entry]!;
        const lo = los[entry]!;
        const seq = seqs[entry]!;
        block.writeUInt32BE(hi, at);
        block.writeUInt32BE(lo, at + 4);
        block.writeUInt16BE(Math.floor(seq / TWO_32), at + 8);
        block.writeUInt32BE(seq >>> 0, at + 10);
        filter.add(hi, lo);
      }
      issued(this.blocks.put(blockKeyOf(Buffer.allocUnsafe(14), position, block.readUInt32BE(0), block.readUInt32BE(4)), block));
    }
    const version = this.version();
    const next = { appends: version.appends + 1, merges: version.merges };
    this.putFilter(position, count, next, filter);
    this.putVersion(next);
  }

  /** A run's filter entry; its serial is the version it is written at, which no other run shares. */
  private putFilter(position: number, count: number, version: RunVersion, filter: BlockedBloomFilter): void {
    const header = Buffer.allocUnsafe(8);
    header.writeUInt32BE((count | BLOCKED) >>> 0, 0);
    header.writeUInt32BE((version.appends + version.merges) >>> 0, 4);
    issued(this.filters.put(position, Buffer.concat([header, filter.toBuffer()])));
  }

  /**
   * The runs the next merge takes, oldest first: the newest runs each no larger than the newer ones together, up
   * to `mergeLimit` entries; empty when there is nothing to merge.
   */
  private mergeGroup(runs: readonly Run[]): Run[] {
    // `runs` is newest first; the policy reads them oldest first.
    return mergeGroupOf([...runs].reverse(), (run) => run.count, this.mergeLimit);
  }

  /** Whether the current snapshot's runs have a merge to do. */
  mergeDue(): boolean {
    return this.mergeGroup(this.sync()).length > 0;
  }

  /**
   * Computes the next merge from the current snapshot, outside any write transaction (the consolidation): the
   * group's entries merged in hash order into blocks, in memory. Undefined when there is nothing to merge.
   */
  prepareMerge(): PreparedDedupeMerge | undefined {
    const group = this.mergeGroup(this.sync());
    if (group.length === 0) return undefined;
    const count = group.reduce((sum, run) => sum + run.count, 0);
    const filter = new BlockedBloomFilter(BlockedBloomFilter.bitsLog2For(count));
    const blocks: Buffer[] = [];
    let block = Buffer.allocUnsafe(Math.min(BLOCK, count) * ENTRY_BYTES);
    let at = 0;
    let left = count;
    for (const [source, offset] of mergedEntries(group.map((run) => this.blocksOf(run)))) {
      source.copy(block, at, offset, offset + ENTRY_BYTES);
      filter.add(source.readUInt32BE(offset), source.readUInt32BE(offset + 4));
      at += ENTRY_BYTES;
      left--;
      if (at === block.length) {
        blocks.push(block);
        block = Buffer.allocUnsafe(Math.min(BLOCK, left) * ENTRY_BYTES);
        at = 0;
      }
    }
    if (left !== 0 || at !== 0) throw new Error(`eventdb internal invariant broken: a dedupe merge read ${count - left} of ${count} entries`);
    return { group, merges: this.loadedVersion!.merges, position: group.at(-1)!.position, count, filter, blocks };
  }

  /** A run's blocks in order, each copied (the merge holds several at once). */
  private *blocksOf(run: Run): Iterable<Buffer> {
    for (const { value } of this.blocks.getRange({ start: blockKey(run.position, 0n), end: blockKey(run.position + 1, 0n) })) yield value;
  }

  /**
   * Issues a prepared merge with the transaction being staged, unless a merge or a repair has changed the runs
   * since it was prepared (then false, nothing issued): the merged runs' blocks and filters go, the merged run
   * takes the newest one's position.
   */
  applyMerge(merge: PreparedDedupeMerge): boolean {
    const version = this.version();
    if (version.merges !== merge.merges || merge.group.some((run) => this.filters.getBinaryFast(run.position) === undefined)) return false;
    for (const run of merge.group) this.remove(run.position);
    for (const block of merge.blocks) issued(this.blocks.put(blockKey(merge.position, block.readBigUInt64BE(0)), block));
    const next = { appends: version.appends, merges: version.merges + 1 };
    this.putFilter(merge.position, merge.count, next, merge.filter);
    this.putVersion(next);
    return true;
  }

  private remove(position: number): void {
    for (const key of [...this.blocks.getKeys({ start: blockKey(position, 0n), end: blockKey(position + 1, 0n) })]) issued(this.blocks.remove(key));
    issued(this.filters.remove(position));
  }

  /** Every (hash, seq) stored, for verify. */
  *entries(): Generator<DedupeEntry> {
    for (const { value: block } of this.blocks.getRange()) {
      for (let at = 0; at < block.length; at += ENTRY_BYTES) {
        yield { hash: block.readBigUInt64BE(at), seq: block.readUInt16BE(at + 8) * TWO_32 + block.readUInt32BE(at + 10) };
      }
    }
  }

  /** Issues the removal of format 6's segment filters (the upgrade to format 7, in its transaction). */
  dropSegments(): void {
    for (const key of [...this.segmentTree.getKeys()]) issued(this.segmentTree.remove(key));
  }

  /** Removes every run (a repair writes the whole set as one run, in the same stage); readers reload them all. */
  clear(): void {
    const version = this.version();
    for (const key of [...this.blocks.getKeys()]) issued(this.blocks.remove(key));
    for (const key of [...this.filters.getKeys({ start: VERSION_KEY + 1 })]) issued(this.filters.remove(key));
    this.dropSegments();
    this.putVersion({ appends: version.appends, merges: version.merges + 1 });
  }
}

/**
 * Sorted runs' entries merged in hash order, as (block, offset) of each entry: `sources` are each run's blocks in
 * order, oldest run first (an equal hash, which only a format-1 store could hold twice, keeps the older first).
 */
function* mergedEntries(sources: readonly Iterable<Buffer>[]): Generator<[Buffer, number]> {
  const cursors = sources.map((source) => source[Symbol.iterator]());
  const blocks: (Buffer | undefined)[] = cursors.map((cursor) => cursor.next().value as Buffer | undefined);
  const offsets = blocks.map(() => 0);
  // Each source's current hash as two unsigned halves, compared as numbers (no BigInt, no native call).
  const his = blocks.map((block) => (block === undefined ? 0 : block.readUInt32BE(0)));
  const los = blocks.map((block) => (block === undefined ? 0 : block.readUInt32BE(4)));
  for (;;) {
    let least = -1;
    for (let i = 0; i < blocks.length; i++) {
      if (blocks[i] === undefined) continue;
      if (least < 0 || his[i]! < his[least]! || (his[i] === his[least] && los[i]! < los[least]!)) least = i;
    }
    if (least < 0) return;
    let block = blocks[least]!;
    yield [block, offsets[least]!];
    let offset = offsets[least]! + ENTRY_BYTES;
    if (offset >= block.length) {
      const next = cursors[least]!.next().value as Buffer | undefined;
      blocks[least] = next;
      if (next === undefined) continue;
      block = next;
      offset = 0;
    }
    offsets[least] = offset;
    his[least] = block.readUInt32BE(offset);
    los[least] = block.readUInt32BE(offset + 4);
  }
}

export { halves as hashHalves };
