// The postings the writer adds between two checkpoints: every (time, seq) in parallel typed arrays, each key's
// chained in arrival order, so a posting allocates nothing the garbage collector has to trace or copy.

import { stringOrder } from './string-order.js';

/** Entries (and keys) a new window has room for before its arrays grow. */
const INITIAL_ENTRIES = 1024;

/** One key's postings with seq ≤ some position, in (time, seq) order. */
export interface SortedPostings {
  times: number[];
  seqs: number[];
}

/**
 * Postings by (kind, value): each key gets a number the first time it is seen (one map per kind, so no key text is
 * built), and its postings are a chain through `next` from `first` to `last`. Times and seqs are doubles (times are
 * epoch milliseconds, seqs reach past 2^32).
 */
export class PostingWindow {
  /** Per kind code, value → key number. */
  private readonly keys: Map<string, number>[];
  private first: Int32Array;
  private last: Int32Array;
  private times: Float64Array;
  private seqs: Float64Array;
  private next: Int32Array;
  /** Postings of every kind. */
  entries = 0;
  /** Keys of every kind. */
  size = 0;

  /** `entries`, `keys`: room to make before the arrays grow (a window sized like the one before it grows little). */
  constructor(kinds: number, entries = INITIAL_ENTRIES, keys = INITIAL_ENTRIES) {
    this.keys = Array.from({ length: kinds }, () => new Map<string, number>());
    this.first = new Int32Array(Math.max(INITIAL_ENTRIES, keys));
    this.last = new Int32Array(Math.max(INITIAL_ENTRIES, keys));
    this.times = new Float64Array(Math.max(INITIAL_ENTRIES, entries));
    this.seqs = new Float64Array(Math.max(INITIAL_ENTRIES, entries));
    this.next = new Int32Array(Math.max(INITIAL_ENTRIES, entries));
  }

  add(kind: number, value: string, time: number, seq: number): void {
    const at = this.entries;
    if (at === this.times.length) this.growEntries();
    this.times[at] = time;
    this.seqs[at] = seq;
    this.next[at] = -1;
    this.entries = at + 1;
    const keys = this.keys[kind]!;
    const key = keys.get(value);
    if (key === undefined) {
      const fresh = this.size;
      if (fresh === this.first.length) this.growKeys();
      keys.set(value, fresh);
      this.first[fresh] = at;
      this.last[fresh] = at;
      this.size = fresh + 1;
    } else {
      this.next[this.last[key]!] = at;
      this.last[key] = at;
    }
  }

  /** The key number of `[kind, value]`, or undefined when it has no posting here. */
  keyOf(kind: number, value: string): number | undefined {
    return this.keys[kind]!.get(value);
  }

  /** Hands every (value, key number) of one kind to `visit`, values in the engine's string order. */
  eachSorted(kind: number, visit: (value: string, key: number) => void): void {
    const keys = this.keys[kind]!;
    const values = [...keys.keys()];
    const numbers = [...keys.values()];
    for (const at of stringOrder(values)) visit(values[at]!, numbers[at]!);
  }

  /** Every (value, key number) of one kind, in no order. */
  keysOf(kind: number): IterableIterator<[string, number]> {
    return this.keys[kind]!.entries();
  }

  /**
   * A key's postings into `out` as `[time, seq, time, seq, …]` in arrival order; returns how many numbers it wrote
   * and whether they are in (time, seq) order already (the usual case: records arrive in time order).
   */
  flat(key: number, out: number[]): { length: number; inOrder: boolean } {
    let length = 0;
    let inOrder = true;
    let time = Number.NEGATIVE_INFINITY;
    let seq = Number.NEGATIVE_INFINITY;
    for (let at = this.first[key]!; at !== -1; at = this.next[at]!) {
      const t = this.times[at]!;
      const s = this.seqs[at]!;
      if (t < time || (t === time && s < seq)) inOrder = false;
      time = t;
      seq = s;
      out[length++] = t;
      out[length++] = s;
    }
    return { length, inOrder };
  }

  /** A key's postings with seq ≤ `maxSeq`, sorted by (time, seq), as two parallel arrays. */
  sorted(key: number, maxSeq: number): SortedPostings {
    const times: number[] = [];
    const seqs: number[] = [];
    for (let at = this.first[key]!; at !== -1; at = this.next[at]!) {
      if (this.seqs[at]! > maxSeq) continue;
      times.push(this.times[at]!);
      seqs.push(this.seqs[at]!);
    }
    return sortPairs(times, seqs);
  }

  private growEntries(): void {
    const size = this.times.length * 2;
    this.times = grown(this.times, new Float64Array(size));
    this.seqs = grown(this.seqs, new Float64Array(size));
    this.next = grown(this.next, new Int32Array(size));
  }

  private growKeys(): void {
    const size = this.first.length * 2;
    this.first = grown(this.first, new Int32Array(size));
    this.last = grown(this.last, new Int32Array(size));
  }
}

function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Parallel arrays sorted by (time, seq), in place when they are in order already. */
function sortPairs(times: number[], seqs: number[]): SortedPostings {
  let inOrder = true;
  for (let i = 1; i < times.length && inOrder; i++) inOrder = times[i]! > times[i - 1]! || (times[i] === times[i - 1] && seqs[i]! >= seqs[i - 1]!);
  if (inOrder) return { times, seqs };
  const order = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || seqs[a]! - seqs[b]!);
  return { times: order.map((i) => times[i]!), seqs: order.map((i) => seqs[i]!) };
}
