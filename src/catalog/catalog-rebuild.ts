// Rebuilds the catalog from the log in memory, compares it with the stored entries, index and counts, and repairs them.

import { canonicalJson } from '../schema/json-value.js';
import type { NormalizedRecord } from '../schema/record.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import { viewOf } from './catalog-entry.js';
import { countKeysOf, indexEntriesOf } from './catalog-index.js';
import { applyRecord, emptyState, encodeState, type EntryState } from './entry-state.js';

/** Reports one difference between the stored catalog and the log. */
export type CatalogNote = (message: string) => void;

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

  /** Compares with the store; every disagreement is noted. */
  compare(store: CatalogStore, note: CatalogNote): void {
    let seen = 0;
    for (const { key, value } of store.allEntries()) {
      const state = this.states.get(key);
      if (state === undefined) note(`catalog entry ${key} is stored but the log implies none`);
      else if (canonicalJson(encodeState(state)) !== canonicalJson(value)) note(`catalog entry ${key} differs from the log`);
      if (state !== undefined) seen++;
    }
    if (seen !== this.states.size) note(`${this.states.size - seen} catalog entries implied by the log are missing`);
    let indexKeys = 0;
    const counts = new Map<string, number>();
    for (const state of this.states.values()) {
      const view = viewOf(state);
      for (const { key, value } of indexEntriesOf(view)) {
        indexKeys++;
        const stored = store.indexValue(key);
        if (stored === undefined) note(`catalog index key ${key.toString('hex')} of ${state.id} is missing`);
        else if (!stored.equals(value)) note(`catalog index key ${key.toString('hex')} of ${state.id} holds another value`);
      }
      for (const key of countKeysOf(view)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const stored = store.indexEntryCount();
    if (stored !== indexKeys) note(`${stored} catalog index keys stored, the log implies ${indexKeys}`);
    compareCounts(store, counts, note);
  }

  /** Rewrites the stored catalog (entries, index, counts) as the log implies it. */
  async repair(store: CatalogStore): Promise<void> {
    await store.clear();
    const counts = new Map<string, number>();
    for (const state of this.states.values()) {
      store.restoreEntry(state.id, encodeState(state));
      const view = viewOf(state);
      for (const { key, value } of indexEntriesOf(view)) store.putIndexKey(key, value);
      for (const key of countKeysOf(view)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, value] of counts) store.restoreCount(key, value);
    await store.committed();
  }
}

function compareCounts(store: CatalogStore, expected: Map<string, number>, note: CatalogNote): void {
  let seen = 0;
  for (const { key, value } of store.allCounts()) {
    const want = expected.get(key) ?? 0;
    if (want !== value) note(`catalog count ${JSON.stringify(key)} is ${value}, the log implies ${want}`);
    if (want !== 0) seen++;
  }
  if (seen !== expected.size) note(`${expected.size - seen} catalog counts implied by the log are missing`);
}
