// The catalog's LMDB trees: entries, the secondary index, counts per indexed value, and import marks.

import type { Database } from 'lmdb';
import type { JsonValue } from '../schema/json-value.js';
import type { Storage } from './storage.js';
import { Pending } from './pending-writes.js';
import { issued } from './issued.js';

const EMPTY = Buffer.alloc(0);

/** One stored register: field name, index of its version in `v`, and the value unless the write cleared it. */
export type StoredRegister = [name: string, version: number] | [name: string, version: number, value: JsonValue];

/**
 * A catalog entry's stored form (encoded and decoded in src/catalog/entry-state.ts): each distinct version listed
 * once (ascending), registers sorted by name and pointing into it.
 */
export interface StoredCatalogEntry {
  id: string;
  v: [number, string][];
  /** Index in `v` of `alive` / `reset`, -1 when unset. */
  a: number;
  r: number;
  f: StoredRegister[];
  x: StoredRegister[];
}

/**
 * - `catalogEntries`: id → entry state (registers and versions; see src/catalog/entry-state.ts);
 * - `catalogIndex`: [partition][field][value]\0[price][id] → empty, or the facet values under `all` (see catalog-keys.ts);
 * - `catalogCounts`: partition, field and value → number of entries indexed under it;
 * - `catalogMarks`: id → 1, the ids a `replace` import has read (scratch, cleared per import).
 *
 * Writes are asynchronous puts, committed with the writer's batch. The writer
 * reads its own uncommitted entries and counts through the storage's pending
 * map; readers (`committed…`) see the last commit.
 */
export class CatalogStore {
  private readonly entries: Database<StoredCatalogEntry, string>;
  private readonly index: Database<Buffer, Buffer>;
  private readonly counts: Database<number, string>;
  private readonly marks: Database<number, string>;

  constructor(private readonly storage: Storage) {
    this.entries = storage.openTree('catalogEntries', { sharedStructuresKey: Symbol.for('structures') });
    this.index = storage.openTree('catalogIndex', { keyEncoding: 'binary', encoding: 'binary' });
    this.counts = storage.openTree('catalogCounts');
    this.marks = storage.openTree('catalogMarks');
  }

  /** An entry including uncommitted writes (for the writer). */
  getEntry(id: string): StoredCatalogEntry | undefined {
    const pending = this.storage.pending.get(Pending.catalogEntry, id) as StoredCatalogEntry | undefined;
    return pending !== undefined ? pending : this.entries.get(id);
  }

  putEntry(id: string, entry: StoredCatalogEntry): void {
    this.storage.pending.set(Pending.catalogEntry, id, entry);
    issued(this.entries.put(id, entry));
  }

  /** A committed entry (for readers). */
  committedEntry(id: string): StoredCatalogEntry | undefined {
    return this.entries.get(id);
  }

  putIndexKey(key: Buffer, value: Buffer = EMPTY): void {
    issued(this.index.put(key, value));
  }

  removeIndexKey(key: Buffer): void {
    issued(this.index.remove(key));
  }

  /** Adds `delta` to a count, including uncommitted changes; a count of 0 is removed. */
  addCount(key: string, delta: number): void {
    const pending = this.storage.pending.get(Pending.catalogCount, key) as number | undefined;
    const next = (pending !== undefined ? pending : (this.counts.get(key) ?? 0)) + delta;
    this.storage.pending.set(Pending.catalogCount, key, next);
    if (next === 0) issued(this.counts.remove(key));
    else issued(this.counts.put(key, next));
  }

  /** A committed count (0 when absent). */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Committed counts whose keys start with `prefix`. */
  *countsWithPrefix(prefix: string): Iterable<{ key: string; value: number }> {
    for (const entry of this.counts.getRange({ start: prefix })) {
      if (!entry.key.startsWith(prefix)) return;
      yield entry;
    }
  }

  /** Committed index keys in [start, end), at most `limit`. */
  indexKeys(start: Buffer, end: Buffer, limit?: number): Iterable<Buffer> {
    return this.index.getKeys(limit === undefined ? { start, end } : { start, end, limit });
  }

  /** The first committed index key in [start, end), if any. */
  firstIndexKey(start: Buffer, end: Buffer): Buffer | undefined {
    for (const key of this.index.getKeys({ start, end, limit: 1 })) return key;
    return undefined;
  }

  hasIndexKey(key: Buffer): boolean {
    return this.index.doesExist(key);
  }

  /** The committed value of an index key, if the key exists. */
  indexValue(key: Buffer): Buffer | undefined {
    return this.index.get(key);
  }

  mark(id: string): void {
    issued(this.marks.put(id, 1));
  }

  isMarked(id: string): boolean {
    return this.marks.doesExist(id);
  }

  clearMarks(): Promise<void> {
    return this.marks.clearAsync();
  }

  // Whole-tree reads and rewrites, for verify and repair.

  allEntries(): Iterable<{ key: string; value: StoredCatalogEntry }> {
    return this.entries.getRange();
  }

  allIndexKeys(): Iterable<Buffer> {
    return this.index.getKeys();
  }

  allCounts(): Iterable<{ key: string; value: number }> {
    return this.counts.getRange();
  }

  indexEntryCount(): number {
    return (this.index.getStats() as { entryCount: number }).entryCount;
  }

  /** Resolves when every write issued so far is committed. */
  committed(): Promise<void> {
    return this.storage.committed;
  }

  /** Writes an entry, an index key or a count directly, or removes one (repair, inside one transaction; see CatalogRebuild). */
  restoreEntry(id: string, entry: StoredCatalogEntry): void {
    issued(this.entries.put(id, entry));
  }

  restoreCount(key: string, value: number): void {
    issued(this.counts.put(key, value));
  }

  removeEntry(id: string): void {
    this.storage.pending.delete(Pending.catalogEntry, id);
    issued(this.entries.remove(id));
  }

  removeCount(key: string): void {
    this.storage.pending.delete(Pending.catalogCount, key);
    issued(this.counts.remove(key));
  }
}
