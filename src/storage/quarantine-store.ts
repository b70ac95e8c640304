// The quarantine: rejected inputs with their errors, kept for inspection and re-submission.

import type { Database } from 'lmdb';
import type { Issue } from '../schema/issues.js';
import { canonicalJson } from '../schema/json-value.js';
import { contentHash } from './hash.js';
import { issued } from './issued.js';

/** A rejected input as the quarantine keeps it. */
export interface QuarantinedRecord {
  /** Quarantine id, increasing. */
  id: number;
  /** The input as sent (values JSON cannot hold are replaced by a description). */
  input: unknown;
  errors: Issue[];
  /** Epoch ms (store clock) when it was first rejected. */
  rejectedAt: number;
  /** How many times this same input was rejected with these same errors (re-runs of a file, re-sends); kept once. */
  count: number;
  /** Epoch ms (store clock) of the latest of those rejections. */
  lastRejectedAt: number;
}

interface Stored {
  input: unknown;
  errors: Issue[];
  rejectedAt: number;
  /** Absent in entries written before repeats were counted: 1. */
  count?: number;
  lastRejectedAt?: number;
  /** Hash of the canonical input and errors: the entry's key in the `quarantineKeys` tree. */
  key?: string;
}

/** An entry written or removed in a batch not yet committed; `value` undefined for a removal. */
interface PendingEntry {
  id: number;
  value: Stored | undefined;
}

/**
 * The quarantine trees: `quarantine` (id → entry) and `quarantineKeys` (hash
 * of the canonical input and errors → id), so the same rejected input is kept
 * once with a count. Writes are issued with the caller's batch; writes not yet
 * committed are read back from `pending` (reads see committed state only), so
 * two rejects of the same input in one batch, or in two batches in flight,
 * still make one entry.
 */
export class QuarantineStore {
  private nextId: number;
  private readonly pending = new Map<string, PendingEntry>();

  constructor(
    private readonly db: Database<unknown, number>,
    readonly readOnly = false,
    /** Absent on a read-only handle, which never writes (the tree may not exist yet in an older store). */
    private readonly keys?: Database<number, string>,
  ) {
    let last = 0;
    for (const key of db.getKeys({ reverse: true, limit: 1 })) last = key;
    this.nextId = last + 1;
  }

  /** Queues the rejected input with the caller's batch: a new entry, or one more count on the entry of the same input and errors. */
  add(input: unknown, errors: Issue[], rejectedAt: number): void {
    const copy = storable(input);
    const key = contentHash(canonicalJson({ input: copy, errors }));
    const existing = this.find(key);
    let entry: PendingEntry;
    if (existing !== undefined) {
      const value: Stored = { ...existing.value, count: (existing.value.count ?? 1) + 1, lastRejectedAt: rejectedAt };
      entry = { id: existing.id, value };
    } else {
      entry = { id: this.nextId++, value: { input: copy, errors, rejectedAt, count: 1, lastRejectedAt: rejectedAt, key } };
      if (this.keys !== undefined) this.track(key, entry, this.keys.put(key, entry.id));
    }
    this.pending.set(key, entry);
    this.track(key, entry, this.db.put(entry.id, entry.value));
  }

  /** The entry kept for this hash, pending writes first. */
  private find(key: string): { id: number; value: Stored } | undefined {
    const pending = this.pending.get(key);
    if (pending !== undefined) return pending.value === undefined ? undefined : { id: pending.id, value: pending.value };
    const id = this.keys?.get(key);
    if (id === undefined) return undefined;
    const value = this.db.get(id) as Stored | undefined;
    return value === undefined ? undefined : { id, value };
  }

  /** Forgets a pending entry once its write has committed (or failed), unless a later write replaced it. */
  private track(key: string, entry: PendingEntry, write: Promise<unknown>): void {
    issued(write);
    const forget = (): void => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    };
    write.then(forget, forget);
  }

  list(options: { limit: number; afterId: number }): QuarantinedRecord[] {
    const out: QuarantinedRecord[] = [];
    for (const { key, value } of this.db.getRange({ start: options.afterId + 1, limit: options.limit })) {
      out.push(publicEntry(key, value as Stored));
    }
    return out;
  }

  get(id: number): QuarantinedRecord | undefined {
    const value = this.db.get(id) as Stored | undefined;
    return value === undefined ? undefined : publicEntry(id, value);
  }

  count(): number {
    return (this.db.getStats() as { entryCount: number }).entryCount;
  }

  /**
   * Issues the removal of an entry (and of its hash) with the caller's batch;
   * resolves with whether it existed once that commits. A reject of the same
   * input later in the batch makes a new entry.
   */
  remove(id: number): Promise<boolean> {
    const value = this.pendingValue(id) ?? (this.db.get(id) as Stored | undefined);
    if (value?.key !== undefined) {
      const entry: PendingEntry = { id, value: undefined };
      this.pending.set(value.key, entry);
      if (this.keys !== undefined) this.track(value.key, entry, this.keys.remove(value.key));
    }
    return this.db.remove(id);
  }

  private pendingValue(id: number): Stored | undefined {
    for (const entry of this.pending.values()) if (entry.id === id) return entry.value;
    return undefined;
  }

  ids(): number[] {
    return [...this.db.getKeys()];
  }
}

function publicEntry(id: number, value: Stored): QuarantinedRecord {
  return {
    id,
    input: value.input,
    errors: value.errors,
    rejectedAt: value.rejectedAt,
    count: value.count ?? 1,
    lastRejectedAt: value.lastRejectedAt ?? value.rejectedAt,
  };
}

/** A copy that msgpack can always encode: functions, symbols, bigints and cycles become descriptions. */
function storable(input: unknown): unknown {
  try {
    const seen = new WeakSet<object>();
    const text = JSON.stringify(input, (_key, value: unknown) => {
      if (typeof value === 'bigint') return `${value}n`;
      if (typeof value === 'function' || typeof value === 'symbol') return `[${typeof value}]`;
      if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value;
    });
    return text === undefined ? `[${typeof input}]` : JSON.parse(text);
  } catch {
    return '[unserialisable input]';
  }
}
