// The secondary indexes as checkpoints write them: one sorted run of every key's postings per checkpoint, packed
// into blocks of one page, with the run's Bloom filter and block fences stored beside it.

import type { Database, RootDatabase } from 'lmdb';
import { BloomFilter } from './bloom.js';
import { hashHalves } from './dedupe-runs.js';
import { hashEventId } from './hash.js';
import { issued } from './issued.js';

const TWO_32 = 2 ** 32;
/** Bytes a block is filled to: one 4 KiB overflow page. An entry larger than that is a block of its own. */
const BLOCK_BYTES = 4000;
/** Entry header: kind u8, value length u16, posting count u32. */
const ENTRY_HEADER = 7;
/** Filter bits per key: about 1% false positives with the filter's 7 probes. */
const FILTER_BITS_PER_KEY = 10;

/** One key's postings as a checkpoint writes them: `pairs` is the key's sorted chunk (see event-index.ts). */
export interface RunEntry {
  kind: number;
  value: string;
  pairs: Buffer;
}

/**
 * A run in memory: the checkpoint that wrote it, a filter over its keys, and the first key of each block (as
 * `runKeyText`), ascending, so a lookup reads its one block with one exact get.
 */
interface Run {
  position: number;
  filter: BloomFilter;
  fences: string[];
}

/**
 * The order of keys inside a run: the kind as one character, then the value. JavaScript's string order, so a
 * checkpoint sorts with the engine's own comparison and a lookup binary-searches the fences with `<`.
 */
export const runKeyText = (kind: number, value: string): string => `${String.fromCharCode(kind)}${value}`;

function blockKey(position: number, block: number): Buffer {
  const key = Buffer.allocUnsafe(10);
  key.writeUInt16BE(Math.floor(position / TWO_32), 0);
  key.writeUInt32BE(position >>> 0, 2);
  key.writeUInt32BE(block, 6);
  return key;
}

/** The filter's two hash halves for a key. */
const keyHash = (text: string): [number, number] => hashHalves(hashEventId(text));

/** A run's directory entry: filter length u32, the filter, fence count u32, then each fence (utf8 length u16, utf8). */
function encodeDirectory(filter: BloomFilter, fences: readonly string[]): Buffer {
  const bits = filter.toBuffer();
  const texts = fences.map((fence) => Buffer.from(fence, 'utf8'));
  const out = Buffer.allocUnsafe(8 + bits.length + texts.reduce((sum, text) => sum + 2 + text.length, 0));
  out.writeUInt32BE(bits.length, 0);
  bits.copy(out, 4);
  let at = 4 + bits.length;
  out.writeUInt32BE(texts.length, at);
  at += 4;
  for (const text of texts) {
    out.writeUInt16BE(text.length, at);
    text.copy(out, at + 2);
    at += 2 + text.length;
  }
  return out;
}

function decodeDirectory(position: number, bytes: Buffer): Run {
  const filterBytes = bytes.readUInt32BE(0);
  const filter = BloomFilter.fromBuffer(bytes.subarray(4, 4 + filterBytes));
  let at = 4 + filterBytes;
  const count = bytes.readUInt32BE(at);
  at += 4;
  const fences: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = bytes.readUInt16BE(at);
    fences.push(bytes.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { position, filter, fences };
}

/** The index of the block that holds `text` if any: the last whose first key is at or before it. */
function blockOf(fences: readonly string[], text: string): number {
  let lo = 0;
  let hi = fences.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fences[mid]! <= text) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * The runs of one store. A checkpoint writes its postings as one run — a few hundred appended blocks instead of a
 * chunk per key upserted at random into one large tree — and a lookup asks each run's filter, then reads the one
 * block its fences point to. Runs are only ever added, except by a repair, which removes them all.
 */
export class PostingRuns {
  /** `[position u48][block u32]` → entries `[kind u8][value length u16][value utf8][count u32][count × 14 bytes]`. */
  private readonly blocks: Database<Buffer, Buffer>;
  /** position → the run's filter and fences. */
  private readonly directory: Database<Buffer, number>;
  /** Oldest first; read at first use (a consolidation worker's handle never reads the index). */
  private loaded: Run[] | undefined;

  constructor(root: RootDatabase) {
    this.blocks = root.openDB({ name: 'posting-blocks', keyEncoding: 'binary', encoding: 'binary' });
    this.directory = root.openDB({ name: 'posting-runs', encoding: 'binary' });
  }

  /**
   * Reads the directory entries not loaded yet (a read-only handle whose writer checkpointed since); all of them
   * when a run loaded before is gone (a repair).
   */
  load(): void {
    const runs = this.loaded ?? [];
    const stored = new Set(this.directory.getKeys());
    if (runs.some((run) => !stored.has(run.position))) runs.length = 0;
    for (const { key, value } of this.directory.getRange({ start: (runs.at(-1)?.position ?? 0) + 1 })) runs.push(decodeDirectory(key, value));
    this.loaded = runs;
  }

  private get runs(): Run[] {
    if (this.loaded === undefined) this.load();
    return this.loaded!;
  }

  /**
   * Issues `entries` (sorted by `runKeyText`, one per key) as the run of the checkpoint at `position`, with the
   * transaction being staged.
   */
  write(position: number, entries: readonly RunEntry[]): void {
    const runs = this.runs; // loaded before this run's directory entry is issued (the transaction reads its own writes)
    const filter = new BloomFilter(Math.min(22, Math.max(10, Math.ceil(Math.log2(Math.max(1, entries.length) * FILTER_BITS_PER_KEY)))));
    const fences: string[] = [];
    let block: { first: number; sizes: number[]; bytes: number } | undefined;
    const flush = (end: number): void => {
      issued(this.blocks.put(blockKey(position, fences.length - 1), encodeBlock(entries, block!.first, end, block!.sizes)));
      block = undefined;
    };
    for (let i = 0; i < entries.length; i++) {
      const { kind, value, pairs } = entries[i]!;
      const text = runKeyText(kind, value);
      const [hi, lo] = keyHash(text);
      filter.add(hi, lo);
      const size = ENTRY_HEADER + Buffer.byteLength(value) + pairs.length;
      if (block !== undefined && block.bytes + 2 + size > BLOCK_BYTES) flush(i);
      if (block === undefined) {
        fences.push(text);
        block = { first: i, sizes: [], bytes: 2 };
      }
      block.sizes.push(size);
      block.bytes += 2 + size;
    }
    if (block !== undefined) flush(entries.length);
    issued(this.directory.put(position, encodeDirectory(filter, fences)));
    runs.push({ position, filter, fences });
  }

  /** The postings of `[kind, value]` in each run a snapshot whose checkpoint is at `checkpoint` holds (copies). */
  find(kind: number, value: string, checkpoint: number): Buffer[] {
    const out: Buffer[] = [];
    const text = runKeyText(kind, value);
    let hash: [number, number] | undefined;
    for (const run of this.runs) {
      if (run.position > checkpoint) break;
      hash ??= keyHash(text);
      if (!run.filter.mightContain(hash[0], hash[1])) continue;
      const index = blockOf(run.fences, text);
      if (index < 0) continue;
      const block = this.blocks.getBinaryFast(blockKey(run.position, index));
      if (block === undefined) continue;
      const pairs = pairsIn(block, kind, value);
      if (pairs !== undefined) out.push(Buffer.from(pairs));
    }
    return out;
  }

  /** Every stored entry, run by run (verify). */
  *entries(): Iterable<RunEntry> {
    for (const { value: block } of this.blocks.getRange()) {
      const count = block.readUInt16BE(0);
      for (let i = 0; i < count; i++) {
        const at = entryOffset(block, i);
        const valueBytes = block.readUInt16BE(at + 1);
        yield { kind: block[at]!, value: block.toString('utf8', at + 3, at + 3 + valueBytes), pairs: pairsAt(block, at, valueBytes) };
      }
    }
  }

  /** Issues the removal of every run (a repair rewrites them). */
  clear(): void {
    for (const key of this.blocks.getKeys()) issued(this.blocks.remove(key));
    for (const key of this.directory.getKeys()) issued(this.directory.remove(key));
    this.loaded = [];
  }
}

/**
 * Entries `first … end - 1` as one block: entry count u16, each entry's offset u16 (from the end of the table: a
 * block of one entry may be any size), then the entries `[kind u8][value length u16][value utf8][pairs length
 * u32][pairs]`.
 */
function encodeBlock(entries: readonly RunEntry[], first: number, end: number, sizes: readonly number[]): Buffer {
  const count = end - first;
  const table = 2 + 2 * count;
  const out = Buffer.allocUnsafe(table + sizes.reduce((sum, size) => sum + size, 0));
  out.writeUInt16BE(count, 0);
  let at = table;
  for (let i = 0; i < count; i++) {
    const { kind, value, pairs } = entries[first + i]!;
    out.writeUInt16BE(at - table, 2 + 2 * i);
    out[at] = kind;
    const valueBytes = out.write(value, at + 3, 'utf8');
    out.writeUInt16BE(valueBytes, at + 1);
    out.writeUInt32BE(pairs.length, at + 3 + valueBytes);
    pairs.copy(out, at + ENTRY_HEADER + valueBytes);
    at += sizes[i]!;
  }
  return out;
}

const entryOffset = (block: Buffer, i: number): number => 2 + 2 * block.readUInt16BE(0) + block.readUInt16BE(2 + 2 * i);

function pairsAt(block: Buffer, at: number, valueBytes: number): Buffer {
  const start = at + ENTRY_HEADER + valueBytes;
  return block.subarray(start, start + block.readUInt32BE(at + 3 + valueBytes));
}

/** The pairs of `[kind, value]` in a block (a view into it), or undefined: a binary search in the run's order. */
function pairsIn(block: Buffer, kind: number, value: string): Buffer | undefined {
  let lo = 0;
  let hi = block.readUInt16BE(0);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = entryOffset(block, mid);
    const valueBytes = block.readUInt16BE(at + 1);
    const order = block[at]! - kind || compareText(block.toString('utf8', at + 3, at + 3 + valueBytes), value);
    if (order === 0) return pairsAt(block, at, valueBytes);
    if (order < 0) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
