// Sorted runs: immutable sets of (key → value) written whole by checkpoints, in blocks, and merged in tiers so a
// lookup asks a bounded number of them. The derived state's partial states live here (see derived-store.ts).

import type { Database, RootDatabase } from 'lmdb';
import { BloomFilter } from './bloom.js';
import { hashBytes } from './hash.js';
import { issued } from './issued.js';

/**
 * A block holds at most this many bytes, header included: one LMDB overflow page (4,096 bytes less its 16-byte
 * header), read whole by a lookup. An entry larger than that gets a block of its own.
 */
const BLOCK_BYTES = 4_080;
/** Runs of one level are merged once there are this many of them. */
const MERGE_WIDTH = 4;
/** Filters: 16 bits per key (about 0.05% false positives with 7 probes), at most 2^27 bits (16 MiB). */
const MAX_FILTER_LOG2 = 27;
const MIN_FILTER_LOG2 = 10;
const TWO_32 = 2 ** 32;

/** A run in memory: where it sits in age (`order`, newer is higher), the first key of each block, its filter. */
interface Run {
  id: number;
  order: number;
  level: number;
  count: number;
  fences: Buffer[];
  filter: BloomFilter;
}

/** An entry to write: `value` null is a removal (a tombstone, dropped when a merge reaches the oldest run). */
export interface RunEntry {
  key: Buffer;
  value: Buffer | null;
}

/** What one transaction wrote: runs to show and runs to hide once it commits (see `publish`). */
export interface StagedRuns {
  added: Run[];
  removed: Run[];
}

const filterBitsFor = (entries: number): number => Math.min(MAX_FILTER_LOG2, Math.max(MIN_FILTER_LOG2, Math.ceil(Math.log2(Math.max(1, entries) * 16))));

function blockKey(id: number, block: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(id, 0);
  key.writeUInt32BE(block, 4);
  return key;
}

function halvesOf(key: Uint8Array): [number, number] {
  const hash = hashBytes(key);
  return [Number(hash >> 32n), Number(hash & 0xffffffffn)];
}

/**
 * Block layout: [n u16] [key end u32 × n] [value end u32 × n] [keys] [values]. Ends are offsets in the block; key i
 * starts where key i-1 ends (the first after the table), value i where value i-1 ends (the first after the last
 * key). An empty value is a tombstone.
 */
function encodeBlock(keys: readonly Buffer[], values: readonly (Buffer | null)[]): Buffer {
  const n = keys.length;
  let size = 2 + 8 * n;
  for (let i = 0; i < n; i++) size += keys[i]!.length + (values[i]?.length ?? 0);
  const block = Buffer.allocUnsafe(size);
  block.writeUInt16BE(n, 0);
  let at = 2 + 8 * n;
  for (let i = 0; i < n; i++) {
    at += keys[i]!.copy(block, at);
    block.writeUInt32BE(at, 2 + 4 * i);
  }
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value !== null && value !== undefined) at += value.copy(block, at);
    block.writeUInt32BE(at, 2 + 4 * n + 4 * i);
  }
  return block;
}

const entriesIn = (block: Buffer): number => block.readUInt16BE(0);
const keyStart = (block: Buffer, i: number): number => (i === 0 ? 2 + 8 * entriesIn(block) : block.readUInt32BE(2 + 4 * (i - 1)));
const keyEnd = (block: Buffer, i: number): number => block.readUInt32BE(2 + 4 * i);
const valueStart = (block: Buffer, i: number): number => {
  const n = entriesIn(block);
  return i === 0 ? keyEnd(block, n - 1) : block.readUInt32BE(2 + 4 * n + 4 * (i - 1));
};
const valueEnd = (block: Buffer, i: number): number => block.readUInt32BE(2 + 4 * entriesIn(block) + 4 * i);

/** The entry index of `key` in a block, or -1. */
function findInBlock(block: Buffer, key: Buffer): number {
  let lo = 0;
  let hi = entriesIn(block);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const cmp = key.compare(block, keyStart(block, mid), keyEnd(block, mid));
    if (cmp === 0) return mid;
    if (cmp > 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** The block whose first key is the last at or before `key`, or -1 when `key` sorts before the run. */
function fenceOf(fences: readonly Buffer[], key: Buffer): number {
  let lo = 0;
  let hi = fences.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fences[mid]!.compare(key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Cuts sorted entries into blocks and issues them under one run id; returns the run (not yet visible). */
class RunWriter {
  private keys: Buffer[] = [];
  private values: (Buffer | null)[] = [];
  /** Bytes of the block being filled: its entry count, offsets, keys and values. */
  private bytes = 2;
  private readonly fences: Buffer[] = [];
  private readonly hashes: number[] = [];
  private count = 0;

  constructor(
    private readonly blocks: Database<Buffer, Buffer>,
    private readonly id: number,
  ) {}

  add(key: Buffer, value: Buffer | null): void {
    const [hi, lo] = halvesOf(key);
    this.hashes.push(hi, lo);
    const size = key.length + (value?.length ?? 0) + 8;
    if (this.bytes + size > BLOCK_BYTES) this.cut();
    this.keys.push(key);
    this.values.push(value);
    this.bytes += size;
    this.count++;
  }

  private cut(): void {
    if (this.keys.length === 0) return;
    this.fences.push(Buffer.from(this.keys[0]!));
    issued(this.blocks.put(blockKey(this.id, this.fences.length - 1), encodeBlock(this.keys, this.values)));
    this.keys = [];
    this.values = [];
    this.bytes = 2;
  }

  finish(order: number, level: number): Run | undefined {
    this.cut();
    if (this.count === 0) return undefined;
    const filter = new BloomFilter(filterBitsFor(this.count));
    for (let i = 0; i < this.hashes.length; i += 2) filter.add(this.hashes[i]!, this.hashes[i + 1]!);
    return { id: this.id, order, level, count: this.count, fences: this.fences, filter };
  }
}

/** Header (the manifest entry of a run): [order u48][level u8][count u32][fences u32][fence: len u16, bytes]…[filter]. */
function encodeHeader(run: Run): Buffer {
  const filter = run.filter.toBuffer();
  let size = 6 + 1 + 4 + 4;
  for (const fence of run.fences) size += 2 + fence.length;
  const out = Buffer.allocUnsafe(size + filter.length);
  out.writeUInt16BE(Math.floor(run.order / TWO_32), 0);
  out.writeUInt32BE(run.order >>> 0, 2);
  out[6] = run.level;
  out.writeUInt32BE(run.count, 7);
  out.writeUInt32BE(run.fences.length, 11);
  let at = 15;
  for (const fence of run.fences) {
    out.writeUInt16BE(fence.length, at);
    at += 2 + fence.copy(out, at + 2);
  }
  filter.copy(out, at);
  return out;
}

function decodeHeader(id: number, header: Buffer): Run {
  const order = header.readUInt16BE(0) * TWO_32 + header.readUInt32BE(2);
  const fences: Buffer[] = [];
  let at = 15;
  for (let i = header.readUInt32BE(11); i > 0; i--) {
    const length = header.readUInt16BE(at);
    fences.push(Buffer.from(header.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return { id, order, level: header[6]!, count: header.readUInt32BE(7), fences, filter: BloomFilter.fromBuffer(header.subarray(at)) };
}

/** A cursor over one run's entries in key order (blocks read one at a time). */
class RunCursor {
  private block: Buffer | undefined;
  private blockNo = -1;
  private i = 0;
  key: Buffer | undefined;
  value: Buffer | undefined;

  constructor(
    private readonly blocks: Database<Buffer, Buffer>,
    readonly run: Run,
  ) {
    this.next();
  }

  next(): void {
    while (this.block === undefined || this.i >= entriesIn(this.block)) {
      if (++this.blockNo >= this.run.fences.length) {
        this.key = undefined;
        this.value = undefined;
        return;
      }
      this.block = this.blocks.getBinary(blockKey(this.run.id, this.blockNo));
      if (this.block === undefined) throw new Error(`eventdb invariant violated: block ${this.blockNo} of run ${this.run.id} is missing`);
      this.i = 0;
    }
    this.key = this.block.subarray(keyStart(this.block, this.i), keyEnd(this.block, this.i));
    this.value = this.block.subarray(valueStart(this.block, this.i), valueEnd(this.block, this.i));
    this.i++;
  }
}

/**
 * Newest-wins merge of runs in key order. `runs` newest first; yields each key once with the newest run's value
 * (an empty value is a tombstone; the caller decides whether to keep it).
 */
function* mergeRuns(blocks: Database<Buffer, Buffer>, runs: readonly Run[]): Generator<[Buffer, Buffer]> {
  const cursors = runs.map((run) => new RunCursor(blocks, run));
  for (;;) {
    let best: RunCursor | undefined;
    for (const cursor of cursors) {
      if (cursor.key === undefined) continue;
      // Cursors are newest first: on equal keys the first one seen stays best.
      if (best === undefined || cursor.key.compare(best.key!) < 0) best = cursor;
    }
    if (best === undefined) return;
    const key = best.key!;
    const value = best.value!;
    for (const cursor of cursors) if (cursor !== best && cursor.key !== undefined && cursor.key.equals(key)) cursor.next();
    yield [key, value];
    best.next();
  }
}

/**
 * The runs of one kind of state. A checkpoint stages its entries as a new run (and, when a level has filled, a
 * merge of that level's runs) in the transaction being committed; `publish` shows them once it committed. Runs a
 * merge replaced stay readable until the next staged transaction removes their blocks, so a reader whose snapshot
 * is newer than the in-memory list (lmdb-js renews it before the writer's continuation runs) still finds them.
 */
export class SortedRuns {
  private readonly blocks: Database<Buffer, Buffer>;
  private readonly manifest: Database<Buffer, number>;
  /** Published runs, newest first. */
  private runs: Run[] = [];
  private nextId = 1;
  private nextOrder = 1;
  /** Runs hidden by a published merge: their blocks are removed with the next staged transaction. */
  private doomed: Run[] = [];
  /** Staged transactions not yet published or abandoned: no merge while one is in flight. */
  private inFlight = 0;

  constructor(root: RootDatabase, name: string) {
    this.blocks = root.openDB({ name: `${name}-blocks`, keyEncoding: 'binary', encoding: 'binary' });
    this.manifest = root.openDB({ name: `${name}-runs`, encoding: 'binary' });
  }

  /** Reads the manifest (at open, and when a read-only handle sees a new checkpoint). */
  load(): void {
    const runs: Run[] = [];
    for (const { key, value } of this.manifest.getRange()) runs.push(decodeHeader(key, value));
    runs.sort((a, b) => b.order - a.order);
    this.runs = runs;
    this.nextId = Math.max(0, ...runs.map((run) => run.id)) + 1;
    this.nextOrder = Math.max(0, ...runs.map((run) => run.order)) + 1;
  }

  /** Issues the removal of blocks no run in the manifest owns (a crash after a merge, before its old blocks went). */
  removeOrphans(): void {
    const live = new Set(this.runs.map((run) => run.id));
    for (const key of this.blocks.getKeys()) if (!live.has(key.readUInt32BE(0))) issued(this.blocks.remove(key));
  }

  get runCount(): number {
    return this.runs.length;
  }

  get entryCount(): number {
    let count = 0;
    for (const run of this.runs) count += run.count;
    return count;
  }

  /**
   * The newest stored value of `key` passed to `decode` (while its bytes are valid), null when its newest entry is
   * a removal, undefined when no run holds it.
   */
  get<T>(key: Buffer, decode: (value: Buffer) => T): T | null | undefined {
    if (this.runs.length === 0) return undefined;
    const [hi, lo] = halvesOf(key);
    for (const run of this.runs) {
      if (!run.filter.mightContain(hi, lo)) continue;
      const blockNo = fenceOf(run.fences, key);
      if (blockNo < 0) continue;
      const block = this.blocks.getBinaryFast(blockKey(run.id, blockNo));
      if (block === undefined) continue;
      const i = findInBlock(block, key);
      if (i < 0) continue;
      const start = valueStart(block, i);
      const end = valueEnd(block, i);
      return end === start ? null : decode(block.subarray(start, end));
    }
    return undefined;
  }

  /** Every live entry, newest value per key, in key order (verify, rebuild). Tombstones are skipped. */
  *entries(): Generator<[Buffer, Buffer]> {
    for (const [key, value] of mergeRuns(this.blocks, this.runs)) if (value.length > 0) yield [key, value];
  }

  /**
   * Issues `entries` (any order, distinct keys) as a new run in the transaction being staged, after a merge of a
   * full level when one is due and nothing else is in flight. Publish the result once the transaction commits.
   */
  stage(entries: RunEntry[]): StagedRuns {
    const staged: StagedRuns = { added: [], removed: [] };
    for (const run of this.doomed) for (let b = 0; b < run.fences.length; b++) issued(this.blocks.remove(blockKey(run.id, b)));
    this.doomed = [];
    if (this.inFlight === 0) this.stageMerge(staged);
    entries.sort((a, b) => a.key.compare(b.key));
    const writer = new RunWriter(this.blocks, this.nextId++);
    for (const { key, value } of entries) writer.add(key, value);
    const run = writer.finish(this.nextOrder++, 0);
    if (run !== undefined) {
      issued(this.manifest.put(run.id, encodeHeader(run)));
      staged.added.push(run);
    }
    this.inFlight++;
    return staged;
  }

  /** Merges the newest full level (MERGE_WIDTH runs of one level, adjacent in age) into one run a level up. */
  private stageMerge(staged: StagedRuns): void {
    for (let start = 0; start < this.runs.length;) {
      let end = start + 1;
      while (end < this.runs.length && this.runs[end]!.level === this.runs[start]!.level) end++;
      if (end - start >= MERGE_WIDTH) {
        const group = this.runs.slice(start, start + MERGE_WIDTH);
        const keepRemovals = start + MERGE_WIDTH < this.runs.length;
        const writer = new RunWriter(this.blocks, this.nextId++);
        for (const [key, value] of mergeRuns(this.blocks, group)) {
          if (value.length === 0 && !keepRemovals) continue;
          writer.add(Buffer.from(key), value.length === 0 ? null : Buffer.from(value));
        }
        const merged = writer.finish(group[0]!.order, group[0]!.level + 1);
        for (const run of group) issued(this.manifest.remove(run.id));
        if (merged !== undefined) {
          issued(this.manifest.put(merged.id, encodeHeader(merged)));
          staged.added.push(merged);
        }
        staged.removed.push(...group);
        return;
      }
      start = end;
    }
  }

  /** Shows what a committed transaction staged. Staged transactions commit in order, so they publish in order. */
  publish(staged: StagedRuns): void {
    this.inFlight--;
    const removed = new Set(staged.removed);
    this.runs = [...this.runs.filter((run) => !removed.has(run)), ...staged.added].sort((a, b) => b.order - a.order);
    this.doomed.push(...staged.removed);
  }

  /** Forgets a staged transaction that failed to commit. */
  abandon(): void {
    this.inFlight--;
  }

  /** Issues the removal of every run (a repair writes the whole state anew). */
  clear(): void {
    for (const key of this.blocks.getKeys()) issued(this.blocks.remove(key));
    for (const key of this.manifest.getKeys()) issued(this.manifest.remove(key));
    this.runs = [];
    this.doomed = [];
  }
}
