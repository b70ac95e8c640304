// Applies accepted catalog records (payloads, feed items, removals) to the stored entries, index and counts.

import type { NormalizedRecord } from '../schema/record.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import { sameView, viewOf } from './catalog-entry.js';
import { updateIndex } from './catalog-index.js';
import { applyRecord, decodeState, emptyState, encodeState, type EntryState } from './entry-state.js';

/**
 * The catalog side of the single writer. Called in the writer's event turn,
 * so its puts join the batch's transaction; it reads its own uncommitted
 * writes through the store's pending map.
 */
export class CatalogApplier {
  /** Count changes of the batch being written, applied once per key by `flush`. */
  private readonly countDeltas = new Map<string, number>();
  private readonly countDelta = (key: string, delta: number): void => {
    this.countDeltas.set(key, (this.countDeltas.get(key) ?? 0) + delta);
  };

  constructor(private readonly store: CatalogStore) {}

  /** Merges one accepted record into its product's entry and keeps the index and counts in step. */
  apply(record: NormalizedRecord): void {
    const id = record.productId!;
    const stored = this.store.getEntry(id);
    const state = stored === undefined ? emptyState(id) : decodeState(stored);
    const before = stored === undefined ? undefined : viewOf(state);
    applyRecord(state, record);
    const encoded = encodeState(state);
    // encodeState is deterministic (sorted versions and registers), so equal states have equal JSON.
    if (stored !== undefined && JSON.stringify(stored) === JSON.stringify(encoded)) return;
    this.store.putEntry(id, encoded);
    updateIndex(this.store, before, viewOf(state), this.countDelta);
  }

  /** Writes the batch's count changes (called once per batch, before its commit). */
  flush(): void {
    for (const [key, delta] of this.countDeltas) if (delta !== 0) this.store.addCount(key, delta);
    this.countDeltas.clear();
  }

  /** True when applying the record would change what readers see of its entry. */
  wouldChange(record: NormalizedRecord): boolean {
    const state = this.stateOf(record.productId!);
    const before = viewOf(state);
    applyRecord(state, record);
    return !sameView(before, viewOf(state));
  }

  private stateOf(id: string): EntryState {
    const stored = this.store.getEntry(id);
    return stored === undefined ? emptyState(id) : decodeState(stored);
  }
}
