// The secondary indexes as checkpoints write them: one sorted run of every key's postings per checkpoint, packed
// into blocks of one page, with the run's Bloom filter and block fences stored beside it.

import type { Database, RootDatabase } from 'lmdb';
import { BloomFilter } from './bloom.js';
import { lastAtOrBefore } from './fences.js';
import { issued } from './issued.js';

/** Bytes a block is filled to: one 4 KiB overflow page. An entry larger than that is a block of its own. */
const BLOCK_BYTES = 4000;
/** Entry header: kind u8, value length u16, pairs length u32. */
const ENTRY_HEADER = 7;
/** One (time + bias u64, seq u48) pair, as event-index.ts writes them. */
const PAIR_BYTES = 14;
/** Filter bits per key: about 1% false positives with the filter's 7 probes (up to 2 MiB of filter per run). */
const FILTER_BITS_PER_KEY = 10;
const FILTER_MAX_BITS_LOG2 = 24;
/**
 * Entry bytes a merged run may reach: past it, runs are left as they are. It bounds the work one checkpoint does
 * (a merge of that size takes about a second on the writer's thread) at the cost of one more run per 64 MiB of
 * postings for a lookup to ask (about one per 1.2M events).
 */
const MERGE_LIMIT_BYTES = 64 * 2 ** 20;
/** A directory entry's counts: keys u32, entry bytes f64. */
const DIRECTORY_HEADER = 12;

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
  /** Keys, and bytes of its entries: a checkpoint merges the newest runs no larger than what it writes. */
  keys: number;
  bytes: number;
}

/**
 * The order of keys inside a run: the kind as one character, then the value. JavaScript's string order, so a
 * checkpoint sorts with the engine's own comparison and a lookup binary-searches the fences with `<`.
 */
const runKeyText = (kind: number, value: string): string => `${String.fromCharCode(kind)}${value}`;

function blockKey(position: number, block: number): Buffer {
  const key = Buffer.allocUnsafe(10);
  key.writeUIntBE(position, 0, 6);
  key.writeUInt32BE(block, 6);
  return key;
}

/**
 * Two 32-bit hashes of a key for the run filters (FNV-1a and a multiply-xorshift, each finished with murmur3's
 * mixer): computed in JavaScript, as every key of a run is hashed again each time a checkpoint merges the run.
 */
function keyHash(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [mix(a), mix(b)];
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A run's directory entry: keys u32, entry bytes f64, filter length u32, the filter, fence count u32, then each
 * fence (utf8 length u16, utf8).
 */
function encodeDirectory(run: Run): Buffer {
  const bits = run.filter.toBuffer();
  const texts = run.fences.map((fence) => Buffer.from(fence, 'utf8'));
  const out = Buffer.allocUnsafe(DIRECTORY_HEADER + 8 + bits.length + texts.reduce((sum, text) => sum + 2 + text.length, 0));
  out.writeUInt32BE(run.keys, 0);
  out.writeDoubleBE(run.bytes, 4);
  out.writeUInt32BE(bits.length, DIRECTORY_HEADER);
  bits.copy(out, DIRECTORY_HEADER + 4);
  let at = DIRECTORY_HEADER + 4 + bits.length;
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
  const filterBytes = bytes.readUInt32BE(DIRECTORY_HEADER);
  const filter = BloomFilter.fromBuffer(bytes.subarray(DIRECTORY_HEADER + 4, DIRECTORY_HEADER + 4 + filterBytes));
  let at = DIRECTORY_HEADER + 4 + filterBytes;
  const count = bytes.readUInt32BE(at);
  at += 4;
  const fences: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = bytes.readUInt16BE(at);
    fences.push(bytes.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { position, filter, fences, keys: bytes.readUInt32BE(0), bytes: bytes.readDoubleBE(4) };
}

/** The index of the block that holds `text` if any: the last whose first key is at or before it. */
const blockOf = (fences: readonly string[], text: string): number => lastAtOrBefore(fences, text);

/**
 * The runs of one store. A checkpoint writes its postings as one run — a few hundred appended blocks instead of a
 * chunk per key upserted at random into one large tree — and a lookup asks each run's filter, then reads the one
 * block its fences point to. To keep lookups few, a checkpoint merges into its run the newest runs no larger than
 * what it has gathered so far (a binary counter: about log2(checkpoints) runs, each posting rewritten as often),
 * up to `MERGE_LIMIT_BYTES` per run.
 */
export class PostingRuns {
  /** `[position u48][block u32]` → a block (see `encodeBlock`). */
  private readonly blocks: Database<Buffer, Buffer>;
  /** position → the run's counts, filter and fences. */
  private readonly directory: Database<Buffer, number>;
  /** Oldest first, as committed; read at first use (a consolidation worker's handle never reads the index). */
  private loaded: Run[] | undefined;
  /** The list a checkpoint staged: it replaces `loaded` once that checkpoint is committed. */
  private staged: { position: number; runs: Run[] } | undefined;
  /** A repair's `clear()` is being staged: the run written next starts the list anew. */
  private cleared = false;

  /** `mergeLimitBytes`: tests make runs reach the limit with a few small checkpoints. */
  constructor(
    root: RootDatabase,
    private readonly mergeLimitBytes = MERGE_LIMIT_BYTES,
  ) {
    this.blocks = root.openDB({ name: 'posting-blocks', keyEncoding: 'binary', encoding: 'binary' });
    this.directory = root.openDB({ name: 'posting-runs', encoding: 'binary' });
  }

  /**
   * Reads the directory entries not loaded yet (a read-only handle whose writer checkpointed since); all of them
   * when a run loaded before is gone (merged, or removed by a repair).
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
   * Issues the run of the checkpoint at `position` with the transaction being staged: `entries` (sorted by
   * `runKeyText`, one per key) merged with the newest runs no larger than what is gathered, which it replaces.
   * Reads go on using the committed runs until `landed(position)`.
   */
  write(position: number, entries: readonly RunEntry[]): void {
    const runs = this.cleared ? [] : this.runs;
    this.cleared = false;
    let bytes = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
    let keys = entries.length;
    let kept = runs.length;
    while (kept > 0 && runs[kept - 1]!.bytes <= bytes && bytes + runs[kept - 1]!.bytes <= this.mergeLimitBytes) {
      kept--;
      bytes += runs[kept]!.bytes;
      keys += runs[kept]!.keys;
    }
    const absorbed = runs.slice(kept);
    const run: Run = { position, filter: new BloomFilter(filterBitsLog2(keys)), fences: [], keys: 0, bytes: 0 };
    let block: RunEntry[] = [];
    let blockBytes = 2;
    const flush = (): void => {
      issued(this.blocks.put(blockKey(position, run.fences.length - 1), encodeBlock(block)));
      block = [];
      blockBytes = 2;
    };
    for (const entry of mergeRuns([...absorbed.map((older) => this.entriesOf(older)), entries])) {
      const text = runKeyText(entry.kind, entry.value);
      const [hi, lo] = keyHash(text);
      run.filter.add(hi, lo);
      const size = entrySize(entry);
      if (block.length > 0 && blockBytes + 2 + size > BLOCK_BYTES) flush();
      if (block.length === 0) run.fences.push(text);
      block.push(entry);
      blockBytes += 2 + size;
      run.keys++;
      run.bytes += size;
    }
    if (block.length > 0) flush();
    for (const older of absorbed) this.remove(older);
    issued(this.directory.put(position, encodeDirectory(run)));
    this.staged = { position, runs: [...runs.slice(0, kept), run] };
  }

  /** Runs a lookup may read. */
  get size(): number {
    return this.runs.length;
  }

  /** Each run's entry bytes, oldest first (tests). */
  get runBytes(): number[] {
    return this.runs.map((run) => run.bytes);
  }

  /** The checkpoint at `position` is committed: reads use the runs it staged. */
  landed(position: number): void {
    if (this.staged?.position !== position) return;
    this.loaded = this.staged.runs;
    this.staged = undefined;
  }

  /** A run's entries in order, read block by block (`get` copies each block: the entries are views into it). */
  private *entriesOf(run: Run): Iterable<RunEntry> {
    for (let index = 0; index < run.fences.length; index++) {
      const block = this.blocks.get(blockKey(run.position, index));
      if (block === undefined) throw new Error(`eventdb internal invariant broken: block ${index} of the index run at ${run.position} is missing`);
      yield* blockEntries(block);
    }
  }

  private remove(run: Run): void {
    for (let index = 0; index < run.fences.length; index++) issued(this.blocks.remove(blockKey(run.position, index)));
    issued(this.directory.remove(run.position));
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
    for (const { value: block } of this.blocks.getRange()) yield* blockEntries(block);
  }

  /** Issues the removal of every run (a repair rewrites them, in the same stage). */
  clear(): void {
    for (const key of this.blocks.getKeys()) issued(this.blocks.remove(key));
    for (const key of this.directory.getKeys()) issued(this.directory.remove(key));
    this.cleared = true;
  }
}

const filterBitsLog2 = (keys: number): number => Math.min(FILTER_MAX_BITS_LOG2, Math.max(10, Math.ceil(Math.log2(Math.max(1, keys) * FILTER_BITS_PER_KEY))));

const entrySize = (entry: RunEntry): number => ENTRY_HEADER + Buffer.byteLength(entry.value) + entry.pairs.length;

/**
 * Runs' entries merged into one sorted stream, `sources` oldest first: a key in several runs becomes one entry whose
 * pairs are merged in (time, seq) order.
 */
function* mergeRuns(sources: readonly Iterable<RunEntry>[]): Iterable<RunEntry> {
  const cursors = sources.map((source) => source[Symbol.iterator]());
  const heads = cursors.map((cursor) => cursor.next());
  for (;;) {
    let least: RunEntry | undefined;
    for (const head of heads) {
      if (head.done === true) continue;
      if (least === undefined || compareEntries(head.value, least) < 0) least = head.value;
    }
    if (least === undefined) return;
    let pairs: Buffer | undefined;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i]!;
      if (head.done === true || compareEntries(head.value, least) !== 0) continue;
      pairs = pairs === undefined ? head.value.pairs : mergePairs(pairs, head.value.pairs);
      heads[i] = cursors[i]!.next();
    }
    yield { kind: least.kind, value: least.value, pairs: pairs! };
  }
}

/** The order of entries in a run (`runKeyText`'s): kind, then value. A checkpoint sorts its entries with it. */
export const compareEntries = (a: RunEntry, b: RunEntry): number => a.kind - b.kind || compareText(a.value, b.value);

/** Two sorted pair lists (14-byte big-endian (time, seq) records, which sort as bytes) merged into one. */
function mergePairs(a: Buffer, b: Buffer): Buffer {
  if (a.length === 0 || a.compare(b, 0, PAIR_BYTES, a.length - PAIR_BYTES, a.length) < 0) return Buffer.concat([a, b]);
  const out = Buffer.allocUnsafe(a.length + b.length);
  let i = 0;
  let j = 0;
  let at = 0;
  while (i < a.length && j < b.length) {
    if (a.compare(b, j, j + PAIR_BYTES, i, i + PAIR_BYTES) <= 0) {
      a.copy(out, at, i, i + PAIR_BYTES);
      i += PAIR_BYTES;
    } else {
      b.copy(out, at, j, j + PAIR_BYTES);
      j += PAIR_BYTES;
    }
    at += PAIR_BYTES;
  }
  a.copy(out, at, i);
  b.copy(out, at + a.length - i, j);
  return out;
}

function* blockEntries(block: Buffer): Iterable<RunEntry> {
  const count = block.readUInt16BE(0);
  for (let i = 0; i < count; i++) {
    const at = entryOffset(block, i);
    const valueBytes = block.readUInt16BE(at + 1);
    yield { kind: block[at]!, value: block.toString('utf8', at + 3, at + 3 + valueBytes), pairs: pairsAt(block, at, valueBytes) };
  }
}

/**
 * Entries as one block: entry count u16, each entry's offset u16 (from the end of the table: a
 * block of one entry may be any size), then the entries `[kind u8][value length u16][value utf8][pairs length
 * u32][pairs]`.
 */
function encodeBlock(entries: readonly RunEntry[]): Buffer {
  const count = entries.length;
  const table = 2 + 2 * count;
  const out = Buffer.allocUnsafe(table + entries.reduce((sum, entry) => sum + entrySize(entry), 0));
  out.writeUInt16BE(count, 0);
  let at = table;
  for (let i = 0; i < count; i++) {
    const { kind, value, pairs } = entries[i]!;
    out.writeUInt16BE(at - table, 2 + 2 * i);
    out[at] = kind;
    const valueBytes = out.write(value, at + 3, 'utf8');
    out.writeUInt16BE(valueBytes, at + 1);
    out.writeUInt32BE(pairs.length, at + 3 + valueBytes);
    pairs.copy(out, at + ENTRY_HEADER + valueBytes);
    at += ENTRY_HEADER + valueBytes + pairs.length;
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
