// The secondary indexes: per (kind, value), posting lists of (time, seq) — in memory after the last checkpoint,
// in LMDB before it as sorted runs of every key's chunk, which checkpoints write and the consolidation merges
// (posting-runs.ts).

import type { Database, RootDatabase } from 'lmdb';
import { issued } from './issued.js';
import { decodeChunk, encodeChunk } from './posting-chunk.js';
import { PostingRuns, type PreparedMerge } from './posting-runs.js';
import { TailLayers } from './tail-layers.js';
import { IndexKind } from './keys.js';
import { PostingWindow } from './posting-window.js';

/**
 * The prefix of a chunk's key `[kind u8][value utf8][0x00][checkpoint position u48]` (chunks were written by format
 * 4 and older). Values never contain NUL (validation rejects it), so all chunks of one (kind, value) are adjacent
 * and one range scan reads them.
 */
function prefixOf(kind: number, value: string): Buffer {
  const length = Buffer.byteLength(value);
  const prefix = Buffer.allocUnsafe(1 + length + 1);
  prefix[0] = kind;
  prefix.write(value, 1);
  prefix[1 + length] = 0;
  return prefix;
}

function parseChunkKey(key: Buffer): { kind: number; value: string } {
  return { kind: key[0]!, value: key.toString('utf8', 1, key.length - 7) };
}

/** A posting key as text (verify's comparisons): the kind as one character, then the value. */
const overlayKey = (kind: number, value: string): string => `${String.fromCharCode(48 + kind)}${value}`;

/** One slot per kind code (they are small integers). */
const KIND_SLOTS = Math.max(...Object.values(IndexKind)) + 1;

/** Where a checkpoint gathers one key's postings before it encodes them (grown as needed, reused). */
const gathered: number[] = [];

/** The first index in [0, count) whose time is ≥ `time` (binary search over a sorted run). */
function lowerBound(run: PostingRun, count: number, time: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (run.time(mid) < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One sorted run of a key's postings — a stored chunk, decoded, or the sorted pairs held in memory — and the
 * positions `[start, end)` of those with from ≤ time ≤ to.
 */
class PostingRun {
  start = 0;
  end = 0;
  /** The scan's position in this run: the next posting to yield. */
  at = 0;

  constructor(
    private readonly times: readonly number[],
    private readonly seqs: readonly number[],
  ) {}

  static ofChunk(chunk: Buffer): PostingRun {
    const { times, seqs } = decodeChunk(chunk);
    return new PostingRun(times, seqs);
  }

  time(i: number): number {
    return this.times[i]!;
  }

  seq(i: number): number {
    return this.seqs[i]!;
  }

  /** Bounds the run to from ≤ time ≤ to and places the scan at its first posting in `reverse`'s direction. */
  bound(from: number, to: number, reverse: boolean): this {
    const count = this.seqs.length;
    this.start = lowerBound(this, count, from);
    this.end = lowerBound(this, count, to + 1);
    this.at = reverse ? this.end - 1 : this.start;
    return this;
  }
}

/**
 * The postings of one or more keys merged in (time, seq) order, ascending or descending: `next()` moves to the
 * next posting and exposes it as `time` and `seq`. Nothing is allocated per posting (a scan of a 100,000-event
 * profile reads 100,000 of them).
 */
export class PostingScan {
  time = 0;
  seq = 0;

  constructor(
    private readonly runs: readonly PostingRun[],
    private readonly reverse: boolean,
  ) {}

  next(): boolean {
    const sign = this.reverse ? -1 : 1;
    let best: PostingRun | undefined;
    let bestTime = 0;
    let bestSeq = 0;
    for (const run of this.runs) {
      if (run.at < run.start || run.at >= run.end) continue;
      const time = run.time(run.at);
      const seq = run.seq(run.at);
      if (best === undefined || (time - bestTime || seq - bestSeq) * sign < 0) {
        best = run;
        bestTime = time;
        bestSeq = seq;
      }
    }
    if (best === undefined) return false;
    best.at += sign;
    this.time = bestTime;
    this.seq = bestSeq;
    return true;
  }
}

/**
 * The index of one store. The writer adds postings as it appends records; a posting of seq s is visible to a
 * snapshot that holds the log up to P exactly when s ≤ P, so no version bookkeeping is needed. A checkpoint moves
 * the in-memory postings aside and writes them as one run with the projections; until that checkpoint is visible
 * to a reader (its snapshot's `meta.checkpoint` reaches the run's position), the reader still reads them from
 * memory, never from both.
 */
export class EventIndex {
  /** Chunks written by checkpoints before runs (store format 4 and older): read, never written. */
  private readonly chunks: Database<Buffer, Buffer>;
  /** Whether `chunks` held anything at open: a store created since runs reads no chunk range. */
  private hasChunks: boolean;
  private readonly runs: PostingRuns;
  /** The sizes of the window the last checkpoint wrote: the next one is made as large. */
  private lastWindow: { entries: number; size: number } | undefined;
  /** The postings since the last checkpoint, and those of checkpoints still committing. */
  private readonly postings = new TailLayers(() => new PostingWindow(KIND_SLOTS, this.lastWindow?.entries, this.lastWindow?.size));

  constructor(root: RootDatabase) {
    this.chunks = root.openDB({ name: 'postings', keyEncoding: 'binary', encoding: 'binary' });
    this.hasChunks = this.chunks.getKeysCount({ limit: 1 }) > 0;
    this.runs = new PostingRuns(root);
  }

  /**
   * Adds one posting (the writer, as it appends a record; the replay of the tail): an arrow, so it can be handed
   * to `visitIndexKeys` as it is.
   */
  readonly add = (kind: number, value: string, time: number, seq: number): void => {
    this.postings.current.add(kind, value, time, seq);
  };

  /** Keys with postings held in memory, for the checkpoint policy's memory cap. */
  get overlaySize(): number {
    return this.postings.current.size;
  }

  /**
   * The postings of the keys `[kind, value][]` with from ≤ time ≤ to, merged in (time, seq) order in the requested
   * direction, as a snapshot holding the log up to `position` and the checkpoint at `checkpoint` sees them.
   */
  scan(keys: readonly [number, string][], from: number, to: number, reverse: boolean, position: number, checkpoint: number): PostingScan {
    const runs: PostingRun[] = [];
    for (const [kind, value] of keys) {
      if (this.hasChunks) {
        const prefix = prefixOf(kind, value);
        const end = Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from([1])]);
        for (const { value: chunk } of this.chunks.getRange({ start: prefix, end })) runs.push(PostingRun.ofChunk(chunk).bound(from, to, reverse));
      }
      for (const chunk of this.runs.find(kind, value, checkpoint)) runs.push(PostingRun.ofChunk(chunk).bound(from, to, reverse));
      for (const layer of this.postings.layers(checkpoint)) {
        const key = layer.keyOf(kind, value);
        if (key === undefined) continue;
        const { times, seqs } = layer.sorted(key, position);
        runs.push(new PostingRun(times, seqs).bound(from, to, reverse));
      }
    }
    return new PostingScan(
      runs.filter((run) => run.end > run.start),
      reverse,
    );
  }

  /** Whether `[kind, value]` has a posting with seq ≤ `position`, as the checkpoint at `checkpoint` sees them. */
  has(kind: number, value: string, position: number, checkpoint: number): boolean {
    return this.scan([[kind, value]], Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, false, position, checkpoint).next();
  }

  /** Every value of one kind with a posting (stored or in memory), once or more each, in no order. */
  *values(kind: number): Iterable<string> {
    if (this.hasChunks) {
      for (const key of this.chunks.getKeys({ start: Buffer.from([kind]), end: Buffer.from([kind + 1]) })) yield parseChunkKey(key).value;
    }
    for (const entry of this.runs.entries()) if (entry.kind === kind) yield entry.value;
    for (const layer of this.postings.layers()) for (const [value] of layer.keysOf(kind)) yield value;
  }

  /** Issues the in-memory postings as one run at `position`, with the transaction being staged. */
  writeCheckpoint(position: number): void {
    // In `compareEntries`' order: kinds ascending, each kind's values in the engine's string order.
    const window = this.postings.current;
    const run = this.runs.builder(position, window.size);
    for (let kind = 0; kind < KIND_SLOTS; kind++) {
      window.eachSorted(kind, (value, key) => {
        const { length, inOrder } = window.flat(key, gathered);
        if (inOrder) run.addFlat(kind, value, gathered, length);
        else {
          const { times, seqs } = window.sorted(key, Number.POSITIVE_INFINITY);
          run.addChunk(kind, value, encodeChunk(times, seqs));
        }
      });
    }
    this.lastWindow = { entries: window.entries, size: window.size };
    this.postings.setAside(position);
    this.runs.writeBuilt(run);
  }

  /** The checkpoint at `position` is committed: its postings are read from LMDB from now on. */
  pruneCheckpointed(position: number): void {
    this.postings.landed(position);
  }

  /** Drops the in-memory postings (a read-only follower whose writer checkpointed past what it folded). */
  clearOverlay(): void {
    this.postings.clear();
  }

  // Run merges, by the consolidation (ingest/consolidation.ts): computed from its snapshot, then issued in a
  // transaction of their own.

  runMergeDue(): boolean {
    return this.runs.mergeDue();
  }

  /** Runs a lookup of the current snapshot asks. */
  get runCount(): number {
    return this.runs.size;
  }

  /** Run merges done so far (the crash loop's log). */
  get runMerges(): number {
    return this.runs.merges;
  }

  prepareRunMerge(): PreparedMerge | undefined {
    return this.runs.prepareMerge();
  }

  applyRunMerge(merge: PreparedMerge): boolean {
    return this.runs.applyMerge(merge);
  }

  /** Every stored posting (chunks, runs, then memory), for verify: key text → sorted "time:seq" list. */
  allPostings(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const push = (kind: number, value: string, time: number, seq: number): void => {
      const text = overlayKey(kind, value);
      let list = out.get(text);
      if (list === undefined) out.set(text, (list = []));
      list.push(`${time}:${seq}`);
    };
    const pushChunk = (kind: number, value: string, chunk: Buffer): void => {
      const { times, seqs } = decodeChunk(chunk);
      for (let i = 0; i < seqs.length; i++) push(kind, value, times[i]!, seqs[i]!);
    };
    for (const { key, value: chunk } of this.chunks.getRange()) {
      const { kind, value } = parseChunkKey(key);
      pushChunk(kind, value, chunk);
    }
    for (const { kind, value, pairs } of this.runs.entries()) pushChunk(kind, value, pairs);
    for (const layer of this.postings.layers()) {
      for (let kind = 0; kind < KIND_SLOTS; kind++) {
        for (const [value, key] of layer.keysOf(kind)) {
          const { times, seqs } = layer.sorted(key, Number.POSITIVE_INFINITY);
          for (let i = 0; i < seqs.length; i++) push(kind, value, times[i]!, seqs[i]!);
        }
      }
    }
    for (const list of out.values()) list.sort();
    return out;
  }

  /** Removes every chunk and run (a repair rewrites them; an upgrade from per-entry keys builds them anew). */
  clearStored(): void {
    for (const key of this.chunks.getKeys()) issued(this.chunks.remove(key));
    this.hasChunks = false;
    this.runs.clear();
  }
}

export { overlayKey as postingKeyText };
