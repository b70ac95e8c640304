// The index entries and counts a visible entry implies, and their upkeep when an entry changes.

import { countKey, indexPrefix, IndexedField, Partition, positionOf, type IndexedFieldCode, type PartitionCode } from '../storage/catalog-keys.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import type { CatalogEntry } from './catalog-entry.js';

/** One (field, value) an entry is indexed under. */
export interface IndexedValue {
  field: IndexedFieldCode;
  value: string;
}

/** An index entry: the key, and a value — empty, except under `all`, where it holds the entry's facet values. */
export interface IndexEntry {
  key: Buffer;
  value: Buffer;
}

const EMPTY = Buffer.alloc(0);
const SEPARATOR = '\u0000';

/** The partition an entry is indexed in: complete entries apart from incomplete ones. */
export function partitionOf(entry: CatalogEntry): PartitionCode {
  return entry.missing.length === 0 ? Partition.complete : Partition.incomplete;
}

/** Every (field, value) of an entry: `all`, category, brand, each tag, availability. */
export function indexedValues(entry: CatalogEntry): IndexedValue[] {
  const values: IndexedValue[] = [{ field: IndexedField.all, value: '' }];
  if (entry.category !== undefined) values.push({ field: IndexedField.category, value: entry.category });
  if (entry.brand !== undefined) values.push({ field: IndexedField.brand, value: entry.brand });
  for (const tag of entry.tags ?? []) values.push({ field: IndexedField.tag, value: tag });
  if (entry.availability !== undefined) values.push({ field: IndexedField.availability, value: entry.availability });
  return values;
}

/**
 * The value under the `all` key: category, brand and availability joined by
 * NUL (which none of them contains), so facets over a set of matches read one
 * small value per match instead of the whole entry.
 */
export function facetValue(entry: CatalogEntry): Buffer {
  return Buffer.from(`${entry.category ?? ''}${SEPARATOR}${entry.brand ?? ''}${SEPARATOR}${entry.availability ?? ''}`, 'utf8');
}

/** The facet values stored under an `all` key (absent ones undefined). */
export function readFacetValue(value: Buffer): { category?: string; brand?: string; availability?: string } {
  const [category = '', brand = '', availability = ''] = value.toString('utf8').split(SEPARATOR);
  const facets: { category?: string; brand?: string; availability?: string } = {};
  if (category !== '') facets.category = category;
  if (brand !== '') facets.brand = brand;
  if (availability !== '') facets.availability = availability;
  return facets;
}

/** The index entries of a visible entry (none for an absent one). */
export function indexEntriesOf(entry: CatalogEntry | undefined): IndexEntry[] {
  if (entry === undefined) return [];
  const partition = partitionOf(entry);
  const position = positionOf(entry.price?.amount, entry.id);
  return indexedValues(entry).map(({ field, value }) => ({
    key: Buffer.concat([indexPrefix(partition, field, value), position]),
    value: field === IndexedField.all ? facetValue(entry) : EMPTY,
  }));
}

/** The count keys of a visible entry. */
export function countKeysOf(entry: CatalogEntry | undefined): string[] {
  if (entry === undefined) return [];
  const partition = partitionOf(entry);
  return indexedValues(entry).map(({ field, value }) => countKey(partition, field, value));
}

/**
 * Replaces an entry's index entries and counts: removes what only `before`
 * implies, writes what `after` implies anew (or with a new value). Count
 * changes go to `countDelta`, so a batch writes each count once.
 */
export function updateIndex(
  store: CatalogStore,
  before: CatalogEntry | undefined,
  after: CatalogEntry | undefined,
  countDelta: (key: string, delta: number) => void,
): void {
  const oldEntries = indexEntriesOf(before);
  const newEntries = indexEntriesOf(after);
  for (const { key } of oldEntries) if (!newEntries.some((e) => e.key.equals(key))) store.removeIndexKey(key);
  for (const { key, value } of newEntries) {
    if (!oldEntries.some((e) => e.key.equals(key) && e.value.equals(value))) store.putIndexKey(key, value);
  }
  if (before === undefined && after === undefined) return;
  const oldCounts = countKeysOf(before);
  const newCounts = countKeysOf(after);
  for (const key of oldCounts) if (!newCounts.includes(key)) countDelta(key, -1);
  for (const key of newCounts) if (!oldCounts.includes(key)) countDelta(key, 1);
}

/** Entries that exist, complete or not (committed counts). */
export function catalogSize(store: CatalogStore): number {
  return store.count(countKey(Partition.complete, IndexedField.all, '')) + store.count(countKey(Partition.incomplete, IndexedField.all, ''));
}
