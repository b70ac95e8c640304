// Rebuilds the catalog from the log in memory, compares it with the stored entries, index and counts, and repairs them.

import { canonicalJson } from '../schema/json-value.js';
import type { NormalizedRecord } from '../schema/record.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import { viewOf } from './catalog-entry.js';
import { countKeysOf, indexEntriesOf } from './catalog-index.js';
import { applyRecord, emptyState, encodeState, type EntryState } from './entry-state.js';

/**
 * Reports one difference between the stored catalog and the log, with the
 * write that repairs it. The caller decides whether to run the fix (rebuild
 * runs every fix of a report inside one transaction).
 */
export type CatalogNote = (message: string, fix: () => void) => void;

/** The catalog the log implies: every product payload, feed item and removal applied in log order (any order gives the same). */
export class CatalogRebuild {
  private readonly states = new Map<string, EntryState>();

  add(record: NormalizedRecord): void {
    if (record.kind !== 'product' && record.kind !== 'feedItem' && record.kind !== 'productRemoval') return;
    const id = record.productId!;
    let state = this.states.get(id);
    if (state === undefined) this.states.set(id, (state = emptyState(id)));
    applyRecord(state, record);
  }

  /**
   * Compares with the store entry by entry, index key by index key and count
   * by count (stored but not implied, implied but missing, or different):
   * each disagreement is noted with its fix.
   */
  compare(store: CatalogStore, note: CatalogNote): void {
    const seenEntries = new Set<string>();
    for (const { key, value } of store.allEntries()) {
      const state = this.states.get(key);
      if (state === undefined) {
        note(`catalog entry ${key} is stored but the log implies none`, () => store.removeEntry(key));
        continue;
      }
      seenEntries.add(key);
      const encoded = encodeState(state);
      if (canonicalJson(encoded) !== canonicalJson(value)) note(`catalog entry ${key} differs from the log`, () => store.restoreEntry(key, encoded));
    }
    const counts = new Map<string, number>();
    let indexKeys = 0;
    let indexMissing = false;
    for (const state of this.states.values()) {
      if (!seenEntries.has(state.id)) {
        const encoded = encodeState(state);
        note(`catalog entry ${state.id} is missing`, () => store.restoreEntry(state.id, encoded));
      }
      const view = viewOf(state);
      for (const { key, value } of indexEntriesOf(view)) {
        indexKeys++;
        const stored = store.indexValue(key);
        if (stored === undefined) {
          indexMissing = true;
          note(`catalog index key ${key.toString('hex')} of ${state.id} is missing`, () => store.putIndexKey(key, value));
        } else if (!stored.equals(value))
          note(`catalog index key ${key.toString('hex')} of ${state.id} holds another value`, () => store.putIndexKey(key, value));
      }
      for (const key of countKeysOf(view)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // Stored keys the log does not imply exist only when the counts disagree or some are missing: only then name them.
    if (indexMissing || store.indexEntryCount() !== indexKeys) this.noteExtraIndexKeys(store, note);
    compareCounts(store, counts, note);
  }

  private noteExtraIndexKeys(store: CatalogStore, note: CatalogNote): void {
    const expected = new Set<string>();
    for (const state of this.states.values()) for (const { key } of indexEntriesOf(viewOf(state))) expected.add(key.toString('hex'));
    for (const key of store.allIndexKeys()) {
      if (expected.has(key.toString('hex'))) continue;
      const copy = Buffer.from(key);
      note(`catalog index key ${copy.toString('hex')} is stored but the log implies none`, () => store.removeIndexKey(copy));
    }
  }
}

function compareCounts(store: CatalogStore, expected: Map<string, number>, note: CatalogNote): void {
  const seen = new Set<string>();
  for (const { key, value } of store.allCounts()) {
    const want = expected.get(key);
    if (want === undefined) {
      note(`catalog count ${JSON.stringify(key)} is ${value}, the log implies none`, () => store.removeCount(key));
      continue;
    }
    seen.add(key);
    if (want !== value) note(`catalog count ${JSON.stringify(key)} is ${value}, the log implies ${want}`, () => store.restoreCount(key, want));
  }
  for (const [key, want] of expected) {
    if (!seen.has(key)) note(`catalog count ${JSON.stringify(key)} is missing, the log implies ${want}`, () => store.restoreCount(key, want));
  }
}
