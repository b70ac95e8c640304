// db.changes(): the log in order, as { position, record }, read page by page as the consumer pulls.

import { errors } from '../errors.js';
import { fromTuple, publicRecord, type RecordTuple, type StoredRecord } from '../storage/record-codec.js';
import { positionOf, seqOfPosition, type ChangePosition } from './position.js';

/** What `changes()` takes. Every option is optional. */
export interface ChangesOptions {
  /** Start just past this position (as a change gave it); default: the log's start. */
  after?: ChangePosition | number;
  /**
   * Keep waiting for new commits once the log's end is reached (default false: stop at the end of the log as it
   * was at the first pull). Ends when `signal` aborts, the consumer stops, or the database closes.
   */
  live?: boolean;
  /** Yield at most this many changes, then stop. */
  limit?: number;
  /** Records read from LMDB per page, in one short read transaction (default 1,000; 1 … 100,000). */
  pageSize?: number;
  /** How often a live feed looks for new commits once it has caught up (default 50 ms). */
  pollIntervalMs?: number;
  /** Aborting it ends the iteration (a live feed waiting for commits ends at once). */
  signal?: AbortSignal;
}

/** One record of the log and its position. */
export interface Change {
  /** Hand it back as `after` to resume just past this record. */
  position: ChangePosition;
  /** The record as `getEvent` returns it (`kind` says which: event, product, attributes, feedItem, productRemoval). */
  record: StoredRecord;
}

/** What the feed reads: the log of one store, through short read transactions. */
export interface LogSource {
  /** The last sequence number in the current snapshot (lmdb-js renews it every event-loop turn). */
  lastSeq(): number;
  /** The log from `fromSeq` on, lazily (one LMDB cursor; breaking out of the loop closes it). */
  records(fromSeq: number): Iterable<{ key: number; value: RecordTuple }>;
  /** False once the database is closed: the feed then ends instead of reading a closed environment. */
  isOpen(): boolean;
}

/** @internal Observes the feed's reads (tests assert that it reads in bounded pages). */
export interface ChangesProbe {
  onPage?: (records: number) => void;
}

const DEFAULT_PAGE_SIZE = 1_000;
const MAX_PAGE_SIZE = 100_000;
const DEFAULT_POLL_INTERVAL_MS = 50;

interface FeedPlan {
  after: number;
  live: boolean;
  limit: number;
  pageSize: number;
  pollIntervalMs: number;
  signal: AbortSignal | undefined;
}

/** Checks the options at the call, so a bad one throws there and not at the first pull. */
export function planChanges(options: ChangesOptions): FeedPlan {
  if (typeof options !== 'object' || options === null) throw errors.invalidArgument('options', 'must be an object');
  return {
    after: seqOfPosition(options.after),
    live: options.live === true,
    limit: countOption(options.limit, 'limit', 0, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY),
    pageSize: countOption(options.pageSize, 'pageSize', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    pollIntervalMs: countOption(options.pollIntervalMs, 'pollIntervalMs', 1, 60_000, DEFAULT_POLL_INTERVAL_MS),
    signal: options.signal,
  };
}

function countOption(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidArgument(`options.${name}`, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * The feed. Holds at most one page of records: the next page is read only when the consumer has taken the last
 * one, each page in its own short read snapshot, released before the page is handed out. So a slow consumer
 * pins no old LMDB snapshot (which would keep the writer's freed pages from reuse and grow the file), and the
 * writer, which knows nothing of feeds, keeps nothing for it.
 */
export async function* readChanges(log: LogSource, plan: FeedPlan, probe: ChangesProbe = {}): AsyncGenerator<Change, void, undefined> {
  let after = plan.after;
  let left = plan.limit;
  // A feed that is not live ends at the log's end as it stood at the first pull.
  const end = plan.live ? Number.POSITIVE_INFINITY : log.isOpen() ? log.lastSeq() : 0;
  while (left > 0 && !isAborted(plan.signal) && log.isOpen()) {
    const page = readPage(log, after, end, Math.min(plan.pageSize, left));
    probe.onPage?.(page.length);
    // lmdb-js ends the read snapshot a page renewed in a timer it set then; one timer turn lets that run, so no
    // snapshot stays pinned while the consumer holds the page (a stalled consumer keeps no old pages alive).
    await pause(0, undefined);
    if (page.length === 0) {
      if (!plan.live || after >= end) return;
      await pause(plan.pollIntervalMs, plan.signal);
      continue;
    }
    for (const { seq, tuple } of page) {
      yield { position: positionOf(seq), record: publicRecord(fromTuple(seq, tuple)) };
      after = seq;
      left--;
      if (isAborted(plan.signal)) return;
    }
  }
}

/** Up to `size` records after `after` and at most `end`, read in one synchronous pass (one read transaction). */
function readPage(log: LogSource, after: number, end: number, size: number): { seq: number; tuple: RecordTuple }[] {
  const page: { seq: number; tuple: RecordTuple }[] = [];
  if (after >= end) return page;
  for (const { key, value } of log.records(after + 1)) {
    if (key > end) break;
    page.push({ seq: key, tuple: value });
    if (page.length >= size) break;
  }
  return page;
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Waits `ms`, or less when `signal` aborts (at once when it already has). */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
