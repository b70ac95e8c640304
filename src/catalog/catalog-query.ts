// Runs catalog queries on the index: intersects the filters' ranges by leapfrogging, pages by (price, id), counts facets.

import { countKey, idOfPosition, indexPrefix, IndexedField, type PartitionCode } from '../storage/catalog-keys.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import { setOwn } from '../schema/catalog-item.js';
import { toCatalogEntry, type CatalogEntry } from './catalog-entry.js';
import { readFacetValue } from './catalog-index.js';
import { encodeCursor, planQuery, type CatalogFilters, type CatalogQuery, type QueryPlan } from './query-plan.js';

/** One page of matches, ordered by price (unpriced last), then id; `cursor` is there when more may follow. */
export interface CatalogPage {
  items: CatalogEntry[];
  cursor?: string;
}

/** Entries per value of category, brand and availability, over the entries matching the filters. */
export interface CatalogFacets {
  category: Record<string, number>;
  brand: Record<string, number>;
  availability: Record<string, number>;
}

/** Answers `catalog.query`: every match exactly once across pages, as long as the catalog does not change between them. */
export function queryCatalog(store: CatalogStore, query: CatalogQuery): CatalogPage {
  const plan = planQuery(query, true);
  const items: CatalogEntry[] = [];
  let last: Buffer | undefined;
  for (const position of matches(store, plan)) {
    if (items.length === plan.limit) return { items, cursor: encodeCursor(last!) };
    const entry = toCatalogEntry(store.committedEntry(idOfPosition(position)));
    if (entry === undefined) continue;
    items.push(entry);
    last = position;
  }
  return { items };
}

/**
 * Answers `catalog.facets`. Without filters (other than `includeIncomplete`)
 * the counts are read as they are kept, one read per value; with filters,
 * the matches are counted one by one, from the facet values kept under each
 * match's `all` key (one small read per match, not the entry).
 */
export function catalogFacets(store: CatalogStore, filters: CatalogFilters): CatalogFacets {
  const plan = planQuery(filters, false);
  const facets: CatalogFacets = { category: {}, brand: {}, availability: {} };
  const unfiltered = plan.filters[0]!.field === IndexedField.all && !plan.priceBounded;
  if (unfiltered) {
    for (const partition of plan.partitions) {
      for (const name of ['category', 'brand', 'availability'] as const) {
        const prefix = countKey(partition, IndexedField[name], '');
        for (const { key, value } of store.countsWithPrefix(prefix)) add(facets[name], key.slice(prefix.length), value);
      }
    }
    return facets;
  }
  for (const partition of plan.partitions) {
    const all = indexPrefix(partition, IndexedField.all, '');
    for (const position of partitionMatches(store, plan, partition)) {
      const value = store.indexValue(Buffer.concat([all, position]));
      if (value === undefined) continue;
      const entry = readFacetValue(value);
      if (entry.category !== undefined) add(facets.category, entry.category, 1);
      if (entry.brand !== undefined) add(facets.brand, entry.brand, 1);
      if (entry.availability !== undefined) add(facets.availability, entry.availability, 1);
    }
  }
  return facets;
}

function add(counts: Record<string, number>, value: string, count: number): void {
  setOwn(counts, value, (Object.hasOwn(counts, value) ? counts[value]! : 0) + count);
}

/** Positions matching the plan, in order, merged over its partitions (an entry is in one partition only). */
function* matches(store: CatalogStore, plan: QueryPlan): Generator<Buffer> {
  if (Buffer.compare(plan.low, plan.high) >= 0) return;
  const streams = plan.partitions.map((partition) => partitionMatches(store, plan, partition)[Symbol.iterator]());
  const heads = streams.map((stream) => stream.next());
  for (;;) {
    let best = -1;
    heads.forEach((head, i) => {
      if (!head.done && (best < 0 || Buffer.compare(head.value, heads[best]!.value as Buffer) < 0)) best = i;
    });
    if (best < 0) return;
    yield heads[best]!.value as Buffer;
    heads[best] = streams[best]!.next();
  }
}

/**
 * Matches in one partition. The filter with the fewest entries (by the kept
 * counts) is scanned in (price, id) order over the price range; every other
 * filter is a point lookup of the same position in its own index, since all
 * of an entry's index keys end with the same (price, id). The cost follows
 * the smallest filter's size in the range, never the larger ones'.
 */
function* partitionMatches(store: CatalogStore, plan: QueryPlan, partition: PartitionCode): Generator<Buffer> {
  const sized = plan.filters.map((f) => ({ prefix: indexPrefix(partition, f.field, f.value), count: store.count(countKey(partition, f.field, f.value)) }));
  if (sized.some((s) => s.count === 0)) return;
  sized.sort((a, b) => a.count - b.count);
  const [driver, ...others] = sized.map((s) => s.prefix) as [Buffer, ...Buffer[]];
  for (const key of store.indexKeys(Buffer.concat([driver, plan.low]), Buffer.concat([driver, plan.high]))) {
    const position = key.subarray(driver.length);
    if (others.every((prefix) => store.hasIndexKey(Buffer.concat([prefix, position])))) yield position;
  }
}
