// An in-memory filter of every identifier, session and account id seen, so new ones are recognised without an LMDB read.

import { BloomFilter } from './bloom.js';
import { hashEventId } from './hash.js';

/** Ids per filter before another is added: each filter then stays near 0.07% false positives. */
const PER_FILTER = 2 ** 18;

/** What a checkpoint stores of the filter: ids in the last filter, and the filters changed since the last store. */
export interface StoredFilterChanges {
  inLast: number;
  count: number;
  changed: [index: number, bytes: Buffer][];
}

/**
 * "Definitely new" or "maybe seen". A maybe is settled by the identifiers tree;
 * a definitely-new id also has no partial state yet, which spares that read too.
 * Stored by each checkpoint (only the filters changed since the last one: a full
 * filter never changes again), so an open reads it instead of every identifier.
 */
export class IdentifierFilter {
  private filters: BloomFilter[] = [new BloomFilter()];
  private inLast = 0;
  /** Filters changed since they were last stored (by index). */
  private readonly changed = new Set<number>([0]);
  /** The last hash's halves, read through a view (Buffer's BigInt write costs about five times the view's). */
  private readonly key = new DataView(new ArrayBuffer(8));
  /** The last text hashed: a lookup is usually followed by the `add` of the same id, which then hashes nothing. */
  private hashed: string | undefined;

  add(text: string): void {
    if (this.inLast >= PER_FILTER) {
      this.filters.push(new BloomFilter());
      this.inLast = 0;
    }
    this.inLast++;
    this.changed.add(this.filters.length - 1);
    this.hash(text);
    this.filters[this.filters.length - 1]!.add(this.key.getUint32(0), this.key.getUint32(4));
  }

  mightContain(text: string): boolean {
    this.hash(text);
    const hi = this.key.getUint32(0);
    const lo = this.key.getUint32(4);
    for (const filter of this.filters) if (filter.mightContain(hi, lo)) return true;
    return false;
  }

  /** The filters changed since the last call, to store with a checkpoint; they count as stored from here on. */
  takeChanges(): StoredFilterChanges {
    const changed: [number, Buffer][] = [...this.changed].sort((a, b) => a - b).map((index) => [index, this.filters[index]!.toBuffer()]);
    this.changed.clear();
    return { inLast: this.inLast, count: this.filters.length, changed };
  }

  /** Every filter counts as changed (the store's copy was removed, or is not known to match). */
  markAllChanged(): void {
    for (let index = 0; index < this.filters.length; index++) this.changed.add(index);
  }

  /** Replaces the filter with a stored one (at open, before anything is added). */
  restore(inLast: number, filters: readonly Uint8Array[]): void {
    this.filters = filters.map((bytes) => BloomFilter.fromBuffer(bytes));
    this.inLast = inLast;
    this.changed.clear();
    this.hashed = undefined;
  }

  private hash(text: string): void {
    if (text === this.hashed) return;
    this.key.setBigUint64(0, hashEventId(text));
    this.hashed = text;
  }
}
