// The catalog entry as readers see it, built from the stored state.

import { REQUIRED_FIELDS, type Availability, type Price, type RequiredField } from '../schema/catalog-fields.js';
import { setOwn } from '../schema/catalog-item.js';
import { canonicalJson, type JsonObject } from '../schema/json-value.js';
import type { StoredCatalogEntry } from '../storage/catalog-store.js';
import { decodeState, exists, type EntryState } from './entry-state.js';

/**
 * A product in the catalog, as `catalog.get` and `catalog.query` return it.
 * Each field holds the value of its latest (timestamp, eventId) write, from a
 * feed item or a product payload; a feed item also clears what it omits.
 */
export interface CatalogEntry {
  id: string;
  title?: string;
  description?: string;
  url?: string;
  image_link?: string;
  price?: Price;
  brand?: string;
  category?: string;
  tags?: string[];
  availability?: Availability;
  rating?: number;
  /** Fields that are not catalog fields (unknown feed fields, other payload keys). */
  extra: JsonObject;
  /** The required fields the entry still lacks (an entry made by payloads only); empty when complete. */
  missing: RequiredField[];
  /** ISO-8601 time of the latest payload or feed item that wrote the entry. */
  updatedAt: string;
}

/** @deprecated The name of the catalog entry type before feeds: use `CatalogEntry`. */
export type ProductEntry = CatalogEntry;

/** The visible entry of a state, or undefined when it does not exist (never written, or removed). */
export function viewOf(state: EntryState | undefined): CatalogEntry | undefined {
  if (state === undefined || !exists(state)) return undefined;
  const entry = { id: state.id } as CatalogEntry & Record<string, unknown>;
  for (const [name, register] of state.fields) if (register.value !== undefined) entry[name] = register.value;
  const extra: JsonObject = {};
  for (const [key, register] of state.extra) if (register.value !== undefined) setOwn(extra, key, register.value);
  entry.extra = extra;
  entry.missing = REQUIRED_FIELDS.filter((name) => entry[name] === undefined);
  entry.updatedAt = new Date(state.alive![0]).toISOString();
  return entry;
}

/** The visible entry of a stored state. */
export function toCatalogEntry(stored: StoredCatalogEntry | undefined): CatalogEntry | undefined {
  return stored === undefined ? undefined : viewOf(decodeState(stored));
}

/** True when two views show the same product (the time of the last write aside). */
export function sameView(a: CatalogEntry | undefined, b: CatalogEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson({ ...a, updatedAt: '' }) === canonicalJson({ ...b, updatedAt: '' });
}
