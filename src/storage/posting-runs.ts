// The secondary indexes as checkpoints write them: one sorted run of every key's postings per checkpoint, packed
// into blocks of one page, with the run's Bloom filter and block fences stored beside it.

import type { Database, RootDatabase } from 'lmdb';
import { BloomFilter } from './bloom.js';
import { lastAtOrBefore } from './fences.js';
import { issued } from './issued.js';
import { maxChunkBytes, mergeChunks, writeFlatChunk } from './posting-chunk.js';
import { mergeGroupOf, putRunVersion, readRunVersion, sameRunVersion, type RunVersion } from './run-version.js';

/** Bytes a block is filled to: one 4 KiB overflow page. An entry larger than that is a block of its own. */
const BLOCK_BYTES = 4000;
/** Entry header: kind u8, value length u16, pairs length u32. */
const ENTRY_HEADER = 7;
/** Filter bits per key: about 1% false positives with the filter's 7 probes (up to 2 MiB of filter per run). */
const FILTER_BITS_PER_KEY = 10;
const FILTER_MAX_BITS_LOG2 = 24;
/**
 * Entry bytes a merged run may reach: past it, runs are left as they are. It bounds the work of one merge (about a
 * second of the consolidation's thread, and the memory it holds the merged run in, and the time its transaction
 * holds the write lock) at the cost of one more run per 64 MiB of postings for a lookup to ask (about one per 1.2M
 * events).
 */
const MERGE_LIMIT_BYTES = 64 * 2 ** 20;
/** A directory entry's counts: keys u32, entry bytes f64. */
const DIRECTORY_HEADER = 12;

/** One key's postings as a checkpoint writes them: `pairs` is the key's chunk (posting-chunk.ts: packed, or the fixed layout of stores before format 11). */
export interface RunEntry {
  kind: number;
  value: string;
  pairs: Buffer;
}

/**
 * A run in memory: the checkpoint that wrote it, a filter over its keys, and the first key of each block (as
 * `runKeyText`), ascending, so a lookup reads its one block with one exact get.
 */
export interface Run {
  position: number;
  /**
   * Read at the first lookup that asks the run (`PostingRuns.find`, in the snapshot it synced): a handle that never
   * looks up (the consolidation's thread, which merges runs by their fences and blocks) holds no copy of the filters.
   */
  filter: BloomFilter | undefined;
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
 * Two 32-bit hashes of a key (its `runKeyText`: the kind's character, then the value) for the run filters (FNV-1a
 * and a multiply-xorshift, each finished with murmur3's mixer): computed in JavaScript, as every key of a run is
 * hashed again each time a checkpoint merges the run. The second is left in `hashLo` (no pair is allocated per key).
 */
function keyHash(kind: number, value: string): number {
  let a = Math.imul(0x811c9dc5 ^ kind, 0x01000193);
  let b = Math.imul(0x9e3779b9 ^ kind, 0x5bd1e995);
  b ^= b >>> 15;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  hashLo = mix(b);
  return mix(a);
}

/** The second hash `keyHash` computed last. */
let hashLo = 0;

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
function encodeDirectory(run: Run, filter: BloomFilter): Buffer {
  const bits = filter.toBuffer();
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

/** A run as its directory entry holds it, the filter left to be read (`decodeFilter`) when a lookup asks. */
function decodeDirectory(position: number, bytes: Buffer): Run {
  let at = DIRECTORY_HEADER + 4 + bytes.readUInt32BE(DIRECTORY_HEADER);
  const count = bytes.readUInt32BE(at);
  at += 4;
  const fences: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = bytes.readUInt16BE(at);
    fences.push(bytes.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { position, filter: undefined, fences, keys: bytes.readUInt32BE(0), bytes: bytes.readDoubleBE(4) };
}

function decodeFilter(bytes: Buffer): BloomFilter {
  return BloomFilter.fromBuffer(bytes.subarray(DIRECTORY_HEADER + 4, DIRECTORY_HEADER + 4 + bytes.readUInt32BE(DIRECTORY_HEADER)));
}

/** The index of the block that holds `text` if any: the last whose first key is at or before it. */
const blockOf = (fences: readonly string[], text: string): number => lastAtOrBefore(fences, text);

/**
 * Builds a run's blocks from its entries given in run order, each written straight into the block being filled (no
 * entry object or chunk buffer per key), filling the run's filter, fences and counts. A block is filled to
 * `BLOCK_BYTES`; an entry larger than that is a block of its own.
 */
export class RunBuilder {
  private readonly blocks: Buffer[] = [];
  /** The block being filled, without its offset table: its entries from 0 to `end`. */
  private body = Buffer.allocUnsafeSlow(2 * BLOCK_BYTES);
  private end = 0;
  /** Each entry's start in `body`, which is its offset from the end of the block's table. */
  private offsets: number[] = [];
  /** The block's bytes as its table counts them: 2, then 2 and the entry's size per entry. */
  private blockBytes = 2;
  /** The entry being written: where it starts in `body`, and its value's bytes. */
  private start = 0;
  private valueBytes = 0;

  /** The run being built: its fences and counts grow as entries are added. */
  readonly run: Run;
  /** The run's filter, sized for about `keys` keys and filled as entries are added (its directory entry holds it). */
  readonly filter: BloomFilter;

  constructor(position: number, keys: number) {
    this.run = { position, filter: undefined, fences: [], keys: 0, bytes: 0 };
    this.filter = new BloomFilter(filterBitsLog2(keys));
  }

  /** Adds an entry whose pairs are a stored chunk (a merge). */
  addChunk(kind: number, value: string, pairs: Buffer): void {
    const at = this.begin(kind, value, pairs.length);
    pairs.copy(this.body, at);
    this.finish(kind, value, at + pairs.length);
  }

  /** Adds an entry of the first `length` numbers of `pairs`, sorted pairs held flat (a checkpoint's postings). */
  addFlat(kind: number, value: string, pairs: readonly number[], length: number): void {
    const at = this.begin(kind, value, maxChunkBytes(length / 2));
    this.finish(kind, value, writeFlatChunk(pairs, length, this.body, at));
  }

  /** The run's blocks, once every entry is added. */
  blocksDone(): Buffer[] {
    if (this.offsets.length > 0) this.emit(this.end);
    return this.blocks;
  }

  /** Writes an entry's header and value at the end of the block; returns where its pairs (at most `pairsBytes`) go. */
  private begin(kind: number, value: string, pairsBytes: number): number {
    const at = this.end;
    this.reserve(at + ENTRY_HEADER + 3 * value.length + pairsBytes);
    this.body[at] = kind;
    this.valueBytes = this.body.write(value, at + 3, 'utf8');
    this.body.writeUInt16BE(this.valueBytes, at + 1);
    this.start = at;
    return at + ENTRY_HEADER + this.valueBytes;
  }

  /** Ends the entry being written, whose pairs end at `pairsEnd`: into this block, or first in the next one. */
  private finish(kind: number, value: string, pairsEnd: number): void {
    let start = this.start;
    const pairsStart = start + ENTRY_HEADER + this.valueBytes;
    this.body.writeUInt32BE(pairsEnd - pairsStart, start + 3 + this.valueBytes);
    const size = pairsEnd - start;
    const { run } = this;
    this.filter.add(keyHash(kind, value), hashLo);
    if (this.offsets.length > 0 && this.blockBytes + 2 + size > BLOCK_BYTES) {
      this.emit(start);
      this.body.copyWithin(0, start, pairsEnd);
      start = 0;
    }
    if (this.offsets.length === 0) run.fences.push(runKeyText(kind, value));
    this.offsets.push(start);
    this.blockBytes += 2 + size;
    this.end = start + size;
    run.keys++;
    run.bytes += size;
  }

  /** Makes the block of the entries before `upTo`: `[count u16][offset u16 …]` then the entries. */
  private emit(upTo: number): void {
    const { offsets } = this;
    const table = 2 + 2 * offsets.length;
    const block = Buffer.allocUnsafe(table + upTo);
    block.writeUInt16BE(offsets.length, 0);
    for (let i = 0; i < offsets.length; i++) block.writeUInt16BE(offsets[i]!, 2 + 2 * i);
    this.body.copy(block, table, 0, upTo);
    this.blocks.push(block);
    this.offsets = [];
    this.blockBytes = 2;
    this.end = 0;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.body.length) return;
    const body = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * this.body.length));
    this.body.copy(body, 0, 0, this.end);
    this.body = body;
  }
}

/** A merge the consolidation computed from its snapshot: the runs it replaces and the blocks of the one it writes. */
export interface PreparedMerge {
  /** The runs merged, oldest first, as the snapshot held them; the merged run takes the newest one's position. */
  group: Run[];
  merges: number;
  run: Run;
  filter: BloomFilter;
  blocks: Buffer[];
}

/**
 * The runs of one store. A checkpoint writes its postings as one run — a few hundred appended blocks instead of a
 * chunk per key upserted at random into one large tree — and a lookup asks each run's filter, then reads the one
 * block its fences point to. The consolidation (a worker thread, while the writer is idle) merges the newest runs
 * no larger than what it has gathered (a binary counter: about log2(checkpoints) runs, each posting rewritten as
 * often), up to `MERGE_LIMIT_BYTES` per run, so lookups stay few without the writer doing the merging.
 *
 * Every reader follows its own snapshot: the directory's version entry counts the runs appended and the merges
 * (and repairs) done, and a lookup compares it with what it loaded, in the same snapshot as the blocks it reads.
 */
export class PostingRuns {
  /** `[position u48][block u32]` → a block (see `encodeBlock`). */
  private readonly blocks: Database<Buffer, Buffer>;
  /** position → the run's counts, filter and fences; position 0 → the version. */
  private readonly directory: Database<Buffer, number>;
  /** Oldest first, as the snapshot of the last `sync` holds them. */
  private loaded: Run[] = [];
  /** The version `loaded` was read at (undefined: never loaded). */
  private loadedVersion: RunVersion | undefined;

  /** `mergeLimitBytes`: tests make runs reach the limit with a few small checkpoints. */
  constructor(
    root: RootDatabase,
    private readonly mergeLimitBytes = MERGE_LIMIT_BYTES,
  ) {
    this.blocks = root.openDB({ name: 'posting-blocks', keyEncoding: 'binary', encoding: 'binary' });
    this.directory = root.openDB({ name: 'posting-runs', encoding: 'binary' });
  }

  private version(): RunVersion {
    return readRunVersion(this.directory);
  }

  private putVersion(version: RunVersion): void {
    putRunVersion(this.directory, version);
  }

  /**
   * Brings the loaded runs to the current snapshot: nothing when its version is the one loaded; the runs after
   * the last one loaded when only appends happened since; all of them after a merge or a repair.
   */
  private sync(): Run[] {
    const version = this.version();
    const known = this.loadedVersion;
    if (sameRunVersion(known, version)) return this.loaded;
    const runs = known !== undefined && known.merges === version.merges ? this.loaded.slice() : [];
    // Each entry read into the shared buffer, not copied: only its fences are kept.
    for (const position of [...this.directory.getKeys({ start: Math.max(1, (runs.at(-1)?.position ?? 0) + 1) })]) {
      runs.push(decodeDirectory(position, this.directory.getBinaryFast(position)!));
    }
    this.loaded = runs;
    this.loadedVersion = version;
    return runs;
  }

  /** A builder of the run of the checkpoint at `position`, of about `keys` keys (its filter's size). */
  builder(position: number, keys: number): RunBuilder {
    return new RunBuilder(position, keys);
  }

  /**
   * Issues the run of the checkpoint at `position` with the transaction being staged: `entries` sorted by
   * `runKeyText`, one per key. Readers see it once their snapshot holds the commit.
   */
  write(position: number, entries: readonly RunEntry[]): void {
    this.writeBuilt(holding(new RunBuilder(position, entries.length), entries));
  }

  /** `write` of the run `builder` holds (its entries added in `runKeyText` order); nothing when it has none. */
  writeBuilt(builder: RunBuilder): void {
    const { run } = builder;
    const blocks = builder.blocksDone();
    if (run.keys === 0) return;
    blocks.forEach((block, index) => issued(this.blocks.put(blockKey(run.position, index), block)));
    issued(this.directory.put(run.position, encodeDirectory(run, builder.filter)));
    const version = this.version();
    this.putVersion({ appends: version.appends + 1, merges: version.merges });
  }

  /**
   * The runs the next merge takes, oldest first: the newest runs each no larger than the newer ones together,
   * up to `mergeLimitBytes`; empty when there is nothing to merge.
   */
  private mergeGroup(runs: readonly Run[]): Run[] {
    return mergeGroupOf(runs, (run) => run.bytes, this.mergeLimitBytes);
  }

  /** Whether the current snapshot's runs have a merge to do. */
  mergeDue(): boolean {
    return this.mergeGroup(this.sync()).length > 0;
  }

  /**
   * Computes the next merge from the current snapshot, outside any write transaction (the consolidation): the
   * group's entries merged into one run, in memory. Undefined when there is nothing to merge.
   */
  prepareMerge(): PreparedMerge | undefined {
    const runs = this.sync();
    const group = this.mergeGroup(runs);
    if (group.length === 0) return undefined;
    const builder = holding(
      new RunBuilder(
        group.at(-1)!.position,
        group.reduce((sum, older) => sum + older.keys, 0),
      ),
      mergeRuns(group.map((older) => this.entriesOf(older))),
    );
    return { group, merges: this.loadedVersion!.merges, run: builder.run, filter: builder.filter, blocks: builder.blocksDone() };
  }

  /**
   * Issues a prepared merge with the transaction being staged, unless a merge or a repair has changed the runs
   * since it was prepared (then false, nothing issued): the merged runs' blocks and entries go, the merged run
   * takes the newest one's position.
   */
  applyMerge(merge: PreparedMerge): boolean {
    // Only merges and repairs replace runs, and both count in `merges`: with it unchanged, the group's runs are
    // stored as prepared (their presence is checked besides, without decoding their filters).
    const version = this.version();
    if (version.merges !== merge.merges || merge.group.some((older) => this.directory.getBinaryFast(older.position) === undefined)) return false;
    for (const older of merge.group) this.remove(older);
    merge.blocks.forEach((block, index) => issued(this.blocks.put(blockKey(merge.run.position, index), block)));
    issued(this.directory.put(merge.run.position, encodeDirectory(merge.run, merge.filter)));
    this.putVersion({ appends: version.appends, merges: version.merges + 1 });
    return true;
  }

  /** Merges (and repairs) done so far, as the current snapshot holds them (tests, the crash loop's log). */
  get merges(): number {
    return this.version().merges;
  }

  /** Runs a lookup may read (the current snapshot's). */
  get size(): number {
    return this.sync().length;
  }

  /** Loaded runs whose filter a lookup has read (tests: a handle that only merges reads none). */
  get filtersRead(): number {
    return this.loaded.filter((run) => run.filter !== undefined).length;
  }

  /** Each run's entry bytes, oldest first (tests). */
  get runBytes(): number[] {
    return this.sync().map((run) => run.bytes);
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
    const hi = keyHash(kind, value);
    const lo = hashLo;
    for (const run of this.sync()) {
      if (run.position > checkpoint) break;
      // Read in this lookup's snapshot, which `sync` has just found to hold the run as loaded.
      run.filter ??= decodeFilter(this.directory.getBinaryFast(run.position)!);
      if (!run.filter.mightContain(hi, lo)) continue;
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

  /** Issues the removal of every run (a repair rewrites them, in the same stage); readers reload all of them. */
  clear(): void {
    const version = this.version();
    for (const key of this.blocks.getKeys()) issued(this.blocks.remove(key));
    for (const key of this.directory.getKeys()) issued(this.directory.remove(key));
    this.putVersion({ appends: version.appends, merges: version.merges + 1 });
  }
}

/** `builder` given `entries` (sorted by `runKeyText`, one per key), each a stored chunk. */
function holding(builder: RunBuilder, entries: Iterable<RunEntry>): RunBuilder {
  for (const { kind, value, pairs } of entries) builder.addChunk(kind, value, pairs);
  return builder;
}

const filterBitsLog2 = (keys: number): number => Math.min(FILTER_MAX_BITS_LOG2, Math.max(10, Math.ceil(Math.log2(Math.max(1, keys) * FILTER_BITS_PER_KEY))));

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
      pairs = pairs === undefined ? head.value.pairs : mergeChunks(pairs, head.value.pairs);
      heads[i] = cursors[i]!.next();
    }
    yield { kind: least.kind, value: least.value, pairs: pairs! };
  }
}

/** The order of entries in a run (`runKeyText`'s): kind, then value. A checkpoint sorts its entries with it. */
export const compareEntries = (a: RunEntry, b: RunEntry): number => a.kind - b.kind || compareText(a.value, b.value);

function* blockEntries(block: Buffer): Iterable<RunEntry> {
  const count = block.readUInt16BE(0);
  for (let i = 0; i < count; i++) {
    const at = entryOffset(block, i);
    const valueBytes = block.readUInt16BE(at + 1);
    yield { kind: block[at]!, value: block.toString('utf8', at + 3, at + 3 + valueBytes), pairs: pairsAt(block, at, valueBytes) };
  }
}

// A block: entry count u16, each entry's offset u16 (from the end of the table: a block of one entry may be any
// size), then the entries `[kind u8][value length u16][value utf8][pairs length u32][pairs]` (see `RunBuilder`).

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
