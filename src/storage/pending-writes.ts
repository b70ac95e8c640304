// Values written but not yet committed, so the writer can read its own writes without lmdb-js's object cache.

/** The kinds of pending values; each has its own map, so keys need no prefix (no string building per lookup). */
export const Pending = { partial: 0, link: 1, identifier: 2, catalogEntry: 3, catalogCount: 4 } as const;
export type PendingKind = (typeof Pending)[keyof typeof Pending];

/** One batch's writes as a flat list of (kind, key, value) triples, to forget once its commit resolves. */
export type WrittenEntries = unknown[];

/**
 * lmdb-js reads see only committed data. The writer reads back partial
 * states, links and identifiers it wrote in batches still in flight; these maps
 * hold them until their commit resolves. (lmdb-js's `cache` option does the
 * same but keeps a weak-reference cache of every value, which made ingest
 * with projections several times slower.)
 */
export class PendingWrites {
  private readonly maps: Map<string, unknown>[] = Object.values(Pending).map(() => new Map<string, unknown>());
  private written: WrittenEntries = [];

  get(kind: PendingKind, key: string): unknown {
    return this.maps[kind]!.get(key);
  }

  has(kind: PendingKind, key: string): boolean {
    return this.maps[kind]!.has(key);
  }

  set(kind: PendingKind, key: string, value: unknown): void {
    this.maps[kind]!.set(key, value);
    this.written.push(kind, key, value);
  }

  /** Forgets a key (a repair removed it from the store). */
  delete(kind: PendingKind, key: string): void {
    this.maps[kind]!.delete(key);
  }

  /** The entries written since the last call: the caller settles them once they are committed. */
  take(): WrittenEntries {
    const entries = this.written;
    this.written = [];
    return entries;
  }

  /** Forgets committed entries, unless a later batch has written the key again. */
  settle(entries: WrittenEntries): void {
    for (let i = 0; i < entries.length; i += 3) {
      const map = this.maps[entries[i] as PendingKind]!;
      const key = entries[i + 1] as string;
      if (map.get(key) === entries[i + 2]) map.delete(key);
    }
  }
}
