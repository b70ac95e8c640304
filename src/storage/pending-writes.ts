// Values written but not yet committed, so the writer can read its own writes without lmdb-js's object cache.

/** One batch's writes: key and value, to forget once its commit resolves. */
export type WrittenEntries = [string, unknown][];

/**
 * lmdb-js reads see only committed data. The writer reads back partial
 * states, links and identifiers it wrote in batches still in flight; this map
 * holds them until their commit resolves. (lmdb-js's `cache` option does the
 * same but keeps a weak-reference cache of every value, which made ingest
 * with projections several times slower.)
 */
export class PendingWrites {
  private readonly values = new Map<string, unknown>();
  private written: WrittenEntries = [];

  get(key: string): unknown {
    return this.values.get(key);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  set(key: string, value: unknown): void {
    this.values.set(key, value);
    this.written.push([key, value]);
  }

  /** Forgets a key (a repair removed it from the store). */
  delete(key: string): void {
    this.values.delete(key);
  }

  /** The entries written since the last call: the caller settles them once they are committed. */
  take(): WrittenEntries {
    const entries = this.written;
    this.written = [];
    return entries;
  }

  /** Forgets committed entries, unless a later batch has written the key again. */
  settle(entries: WrittenEntries): void {
    for (const [key, value] of entries) if (this.values.get(key) === value) this.values.delete(key);
  }
}
