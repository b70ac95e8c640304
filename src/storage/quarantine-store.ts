// The quarantine: rejected inputs with their errors, kept for inspection and re-submission.

import type { Database } from 'lmdb';
import type { Issue } from '../schema/issues.js';
import { issued } from './issued.js';

/** A rejected input as the quarantine keeps it. */
export interface QuarantinedRecord {
  /** Quarantine id, increasing. */
  id: number;
  /** The input as sent (values JSON cannot hold are replaced by a description). */
  input: unknown;
  errors: Issue[];
  /** Epoch ms (store clock) when it was rejected. */
  rejectedAt: number;
}

interface Stored {
  input: unknown;
  errors: Issue[];
  rejectedAt: number;
}

export class QuarantineStore {
  private nextId: number;

  constructor(
    private readonly db: Database<unknown, number>,
    readonly readOnly = false,
  ) {
    let last = 0;
    for (const key of db.getKeys({ reverse: true, limit: 1 })) last = key;
    this.nextId = last + 1;
  }

  /** Queues the rejected input with the caller's batch. */
  add(input: unknown, errors: Issue[], rejectedAt: number): void {
    const stored: Stored = { input: storable(input), errors, rejectedAt };
    issued(this.db.put(this.nextId++, stored));
  }

  list(options: { limit: number; afterId: number }): QuarantinedRecord[] {
    const out: QuarantinedRecord[] = [];
    for (const { key, value } of this.db.getRange({ start: options.afterId + 1, limit: options.limit })) {
      out.push({ id: key, ...(value as Stored) });
    }
    return out;
  }

  get(id: number): QuarantinedRecord | undefined {
    const value = this.db.get(id) as Stored | undefined;
    return value === undefined ? undefined : { id, ...value };
  }

  count(): number {
    return (this.db.getStats() as { entryCount: number }).entryCount;
  }

  remove(id: number): Promise<boolean> {
    return this.db.remove(id);
  }

  ids(): number[] {
    return [...this.db.getKeys()];
  }
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
