// The dedupe set as written by checkpoints: one sorted run of (xxhash64, seq) per checkpoint, in blocks, each run
// with its Bloom filter stored beside it so an open needs no scan.

import type { Database, RootDatabase } from 'lmdb';
import { BloomFilter, bloomBitsFor } from './bloom.js';
import { issued } from './issued.js';

/** Entries per block: one block is one LMDB value of 7 KiB. */
const BLOCK = 512;
/** One entry: hash u64, seq u48. */
const ENTRY_BYTES = 14;
const TWO_32 = 2 ** 32;

/** A run in memory: its position (the checkpoint that wrote it), its filter and how many entries it holds. */
interface Run {
  position: number;
  filter: BloomFilter;
  count: number;
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

const halves = (hash: bigint): [number, number] => [Number(hash >> 32n), Number(hash & 0xffffffffn)];

/** The runs of one store. Lookups ask each run's filter first; a maybe costs one range read of one block. */
export class DedupeRuns {
  private readonly blocks: Database<Buffer, Buffer>;
  private readonly filters: Database<Buffer, number>;
  /** Newest first. */
  private runs: Run[] = [];

  constructor(root: RootDatabase) {
    this.blocks = root.openDB({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' });
    this.filters = root.openDB({ name: 'dedupe-filters', encoding: 'binary' });
  }

  /** Reads every run's filter (at open, and when a read-only handle sees new runs). */
  load(): void {
    const runs: Run[] = [];
    for (const { key, value } of this.filters.getRange())
      runs.push({ position: key, filter: BloomFilter.fromBuffer(value.subarray(4)), count: value.readUInt32BE(0) });
    this.runs = runs.reverse();
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
    for (const run of this.runs) {
      if (checkFilters && !run.filter.mightContain(hi, lo)) continue;
      const seq = this.findInRun(run.position, hash);
      if (seq !== undefined) return seq;
    }
    return undefined;
  }

  private findInRun(position: number, hash: bigint): number | undefined {
    for (const { value: block } of this.blocks.getRange({ start: blockKey(position, hash), end: blockKey(position, 0n), reverse: true, limit: 1 })) {
      let lo = 0;
      let hi = block.length / ENTRY_BYTES;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const at = block.readBigUInt64BE(mid * ENTRY_BYTES);
        if (at === hash) return block.readUInt16BE(mid * ENTRY_BYTES + 8) * TWO_32 + block.readUInt32BE(mid * ENTRY_BYTES + 10);
        if (at < hash) lo = mid + 1;
        else hi = mid;
      }
    }
    return undefined;
  }

  /** Issues a run of `entries` (any order) at `position`, with the transaction being staged. */
  write(position: number, entries: DedupeEntry[]): void {
    if (entries.length === 0) return;
    entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const filter = new BloomFilter(bloomBitsFor(entries.length));
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
      }
      issued(this.blocks.put(blockKey(position, entries[start]!.hash), block));
    }
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(entries.length, 0);
    issued(this.filters.put(position, Buffer.concat([header, filter.toBuffer()])));
    this.runs.unshift({ position, filter, count: entries.length });
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
    this.runs = [];
  }
}

export { halves as hashHalves };
