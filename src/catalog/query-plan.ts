// Catalog queries checked once and turned into a plan: the indexes to intersect, the partitions, the price bounds.

import { errors } from '../errors.js';
import { isIssue, normalizeField } from '../schema/catalog-fields.js';
import { IndexedField, Partition, priceCeiling, priceFloor, PRICE_BYTES, type PartitionCode } from '../storage/catalog-keys.js';
import type { IndexedValue } from './catalog-index.js';

/** Filters of `catalog.query` and `catalog.facets`; every given filter must hold (AND). */
export interface CatalogFilters {
  category?: string;
  brand?: string;
  /** One tag the product must carry. */
  tag?: string;
  /** `in_stock` | `out_of_stock` | `preorder` | `backorder` (spaced forms accepted). */
  availability?: string;
  /** Inclusive bounds on `price.amount` (whatever the currency); entries without a price never match a bound. */
  priceMin?: number;
  priceMax?: number;
  /** Also return entries that lack required fields (made by payloads only). Default false. */
  includeIncomplete?: boolean;
}

/** `catalog.query` options: filters, a page size and the cursor of the previous page. */
export interface CatalogQuery extends CatalogFilters {
  /** Items per page, 1–1,000 (default 50). */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** A query made executable. */
export interface QueryPlan {
  /** Equality filters, each one index; `all` when there is none. */
  filters: IndexedValue[];
  partitions: PartitionCode[];
  /** Positions (price, id) in [low, high). */
  low: Buffer;
  high: Buffer;
  /** True when priceMin or priceMax is given. */
  priceBounded: boolean;
  limit: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
const KNOWN = new Set(['category', 'brand', 'tag', 'availability', 'priceMin', 'priceMax', 'includeIncomplete', 'limit', 'cursor']);

/** Checks a query (throws `INVALID_QUERY` naming the field) and plans it. */
export function planQuery(query: CatalogQuery, paged: boolean): QueryPlan {
  if (typeof query !== 'object' || query === null) throw errors.invalidQuery('', 'must be an object');
  for (const key of Object.keys(query)) {
    if (!KNOWN.has(key) || (!paged && (key === 'limit' || key === 'cursor'))) throw errors.invalidQuery(key, 'is not a catalog filter');
  }
  const filters: IndexedValue[] = [];
  for (const name of ['category', 'brand', 'tag', 'availability'] as const) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw errors.invalidQuery(name, 'must be a non-empty string');
    filters.push({ field: IndexedField[name], value: name === 'availability' ? availabilityOf(value) : value });
  }
  if (filters.length === 0) filters.push({ field: IndexedField.all, value: '' });
  const priceMin = priceBound(query.priceMin, 'priceMin');
  const priceMax = priceBound(query.priceMax, 'priceMax');
  let low = priceMin === undefined && priceMax === undefined ? Buffer.alloc(0) : priceFloor(priceMin);
  const high = highBound(priceMin, priceMax);
  if (paged && query.cursor !== undefined) low = laterOf(low, decodeCursor(query.cursor));
  const includeIncomplete = query.includeIncomplete ?? false;
  if (typeof includeIncomplete !== 'boolean') throw errors.invalidQuery('includeIncomplete', 'must be a boolean');
  const partitions: PartitionCode[] = includeIncomplete ? [Partition.complete, Partition.incomplete] : [Partition.complete];
  const priceBounded = priceMin !== undefined || priceMax !== undefined;
  return { filters, partitions, low, high, priceBounded, limit: paged ? limitOf(query.limit) : Number.POSITIVE_INFINITY };
}

/** Above the last position to return: a price bound excludes unpriced entries (they sort last). */
function highBound(priceMin: number | undefined, priceMax: number | undefined): Buffer {
  if (priceMax !== undefined) return priceMax < 0 ? Buffer.alloc(0) : priceCeiling(priceMax);
  return priceCeiling(priceMin === undefined ? undefined : Number.MAX_VALUE);
}

function availabilityOf(value: string): string {
  const normalized = normalizeField('availability', value, 'availability');
  if (isIssue(normalized) || !('value' in normalized))
    throw errors.invalidQuery('availability', `"${value}" is not one of in_stock, out_of_stock, preorder, backorder`);
  return normalized.value as string;
}

function priceBound(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw errors.invalidQuery(name, 'must be a finite number');
  return value;
}

function limitOf(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_LIMIT) {
    throw errors.invalidQuery('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return value as number;
}

/** A cursor is the position (price, id) of the last item returned, base64url-encoded; the next page starts after it. */
export function encodeCursor(position: Buffer): string {
  return position.toString('base64url');
}

function decodeCursor(cursor: unknown): Buffer {
  const position = typeof cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url') : undefined;
  if (position === undefined || position.length <= PRICE_BYTES) throw errors.invalidQuery('cursor', 'is not a cursor returned by catalog.query');
  return Buffer.concat([position, Buffer.from([0])]);
}

function laterOf(a: Buffer, b: Buffer): Buffer {
  return Buffer.compare(a, b) >= 0 ? a : b;
}
