// verify(): recomputes what the log implies (dedupe entries, index keys, counters, projections) and compares with what is stored.

import type { Counters } from '../ingest/results.js';
import { indexKeysOf } from '../ingest/index-keys.js';
import type { DedupeSet } from '../storage/dedupe-set.js';
import { fromTuple, toNormalized } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import type { CompiledComputed } from '../projections/computed.js';
import { compareProjections, ProjectionRebuild } from '../projections/rebuild.js';
import { CatalogRebuild } from '../catalog/catalog-rebuild.js';
import type { CatalogStore } from '../storage/catalog-store.js';

/** One disagreement between the log and what was derived from it. */
export interface Difference {
  kind: 'dedupe' | 'index' | 'counter' | 'projection' | 'catalog';
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** At most 100 differences are listed; `differenceCount` counts them all. */
  differences: Difference[];
  differenceCount: number;
  recordsChecked: number;
  /** Set when the report comes from `rebuild()`: the projection differences listed were repaired. */
  repaired?: boolean;
}

const MAX_LISTED = 100;

export function verifyStore(
  storage: Storage,
  dedupe: DedupeSet,
  counters: Counters,
  placeholders: ReadonlySet<string>,
  computed: readonly CompiledComputed[],
  catalogStore?: CatalogStore,
): { report: VerifyReport; rebuilt: ProjectionRebuild; catalog: CatalogRebuild } {
  const rebuilt = new ProjectionRebuild(computed, placeholders);
  const catalog = new CatalogRebuild();
  const report: VerifyReport = { ok: true, differences: [], differenceCount: 0, recordsChecked: 0 };
  const note = (kind: Difference['kind'], message: string): void => {
    report.ok = false;
    report.differenceCount++;
    if (report.differences.length < MAX_LISTED) report.differences.push({ kind, message });
  };
  let expectedIndexEntries = 0;
  const perKind = { event: 0, product: 0, attributes: 0, feedItem: 0, productRemoval: 0 };
  for (const { key: seq, value } of storage.records()) {
    const record = fromTuple(seq, value);
    report.recordsChecked++;
    rebuilt.add(toNormalized(record), seq);
    catalog.add(toNormalized(record));
    perKind[record.kind]++;
    const found = dedupe.findCommitted(record.eventId)?.seq;
    if (found !== seq) note('dedupe', `eventId ${record.eventId} at seq ${seq} resolves to ${String(found)}`);
    for (const key of indexKeysOf(toNormalized(record), seq, placeholders)) {
      expectedIndexEntries++;
      if (!storage.hasIndexKey(key)) note('index', `missing index entry ${JSON.stringify(key)}`);
    }
  }
  const counts = storage.counts();
  if (counts.indexEntries !== expectedIndexEntries) {
    note('index', `${counts.indexEntries} index entries stored, the log implies ${expectedIndexEntries}`);
  }
  const dedupeEntries = counts.dedupeEntries + storage.collisionCount();
  if (dedupeEntries !== report.recordsChecked) {
    note('dedupe', `${dedupeEntries} dedupe entries stored for ${report.recordsChecked} records`);
  }
  const kinds = [
    ['events', perKind.event],
    ['productUpdates', perKind.product],
    ['attributeUpdates', perKind.attributes],
    ['feedItems', perKind.feedItem],
    ['productRemovals', perKind.productRemoval],
  ] as const;
  for (const [name, count] of kinds) {
    if (counters[name] !== count) note('counter', `${name} counter is ${counters[name]}, the log holds ${count}`);
  }
  rebuilt.finish();
  compareProjections(storage.derived, rebuilt, counters, note);
  if (catalogStore !== undefined) catalog.compare(catalogStore, (message) => note('catalog', message));
  return { report, rebuilt, catalog };
}
