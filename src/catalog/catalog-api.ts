// db.catalog: lookups, queries and facets over the catalog index, and feed imports (one at a time).

import { errors } from '../errors.js';
import type { IngestResult } from '../schema/results.js';
import type { NormalizedRecord } from '../schema/record.js';
import { fromTuple, toNormalized } from '../storage/record-codec.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import type { Storage } from '../storage/storage.js';
import { toCatalogEntry, type CatalogEntry } from './catalog-entry.js';
import { catalogFacets, queryCatalog, type CatalogFacets, type CatalogPage } from './catalog-query.js';
import { CatalogRebuild } from './catalog-rebuild.js';
import { importFeed } from './feed-import.js';
import type { FeedSource } from './feed-source.js';
import type { ImportFeedOptions, ImportResult } from './import-options.js';
import type { CatalogFilters, CatalogQuery } from './query-plan.js';

/** The product catalog of a store (`db.catalog`). */
export interface CatalogApi {
  /** The entry of a product id, complete or not; undefined when there is none (never written, or removed). */
  get(id: string): CatalogEntry | undefined;
  /** Complete entries (and incomplete ones with `includeIncomplete`) matching every filter, one page at a time. */
  query(query?: CatalogQuery): CatalogPage;
  /** Entries per category, brand and availability value, over the entries matching the filters. */
  facets(filters?: CatalogFilters): CatalogFacets;
  /** Imports a JSON or XML feed from a file path, a Buffer or a readable stream. */
  importFeed(source: FeedSource, options?: ImportFeedOptions): Promise<ImportResult>;
}

/** What the catalog API needs from the database. */
export interface CatalogDeps {
  store: CatalogStore;
  writeCatalog(records: readonly NormalizedRecord[]): Promise<IngestResult[]>;
  clock(): number;
  ensureOpen: () => void;
  track<T>(work: Promise<T>): Promise<T>;
}

export function makeCatalogApi(deps: CatalogDeps): CatalogApi {
  const { store, ensureOpen } = deps;
  // Imports run one at a time: a replace's marks and its count of the catalog must not mix with another import's.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    get: (id) => {
      ensureOpen();
      if (typeof id !== 'string') throw errors.invalidArgument('id', 'must be a string');
      return toCatalogEntry(store.committedEntry(id));
    },
    query: (query = {}) => {
      ensureOpen();
      return queryCatalog(store, query);
    },
    facets: (filters = {}) => {
      ensureOpen();
      return catalogFacets(store, filters);
    },
    importFeed: (source, options = {}) => {
      ensureOpen();
      const run = queue.then(() => {
        ensureOpen();
        return importFeed(deps, source, options);
      });
      queue = run.catch(() => undefined);
      return deps.track(run);
    },
  };
}

const CATALOG_FORMAT = 1;

/**
 * Brings the catalog trees up to date when a store was written by a version
 * that kept the catalog elsewhere: rebuilds them from the log, once.
 */
export async function upgradeCatalog(storage: Storage, store: CatalogStore): Promise<void> {
  if (storage.catalogFormat() === CATALOG_FORMAT) return;
  if (storage.lastSeq() === 0) {
    // A new store: nothing to rebuild. The marker commits now, in a transaction of its own: issued on its own it
    // would commit whenever lmdb-js's write thread gets to it, between two write calls' transactions.
    storage.transact(() => storage.putCatalogFormat(CATALOG_FORMAT));
    return;
  }
  const rebuild = new CatalogRebuild();
  for (const { key, value } of storage.records()) rebuild.add(toNormalized(fromTuple(key, value)));
  // One transaction: the trees and the format marker change together, or not at all.
  storage.transact(() => {
    const fixes: (() => void)[] = [];
    rebuild.compare(store, (_message, fix) => fixes.push(fix));
    for (const fix of fixes) fix();
    storage.putCatalogFormat(CATALOG_FORMAT);
  });
}
