// verify(): recomputes what the log implies (dedupe entries, index keys, counters, projections) and compares with what is stored.

import type { Counters } from '../ingest/results.js';
import { indexKeysOf } from '../ingest/index-keys.js';
import { postingKeyText } from '../storage/event-index.js';
import { INDEX_FIELDS } from '../storage/keys.js';
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
  const expectedPostings = new Map<string, string[]>();
  const perKind = { event: 0, product: 0, attributes: 0, feedItem: 0, productRemoval: 0 };
  for (const { key: seq, value } of storage.records()) {
    const record = fromTuple(seq, value);
    report.recordsChecked++;
    rebuilt.add(toNormalized(record), seq);
    catalog.add(toNormalized(record));
    perKind[record.kind]++;
    const found = dedupe.findCommitted(record.eventId, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)?.seq;
    if (found !== seq) note('dedupe', `eventId ${record.eventId} at seq ${seq} resolves to ${String(found)}`);
    for (const key of indexKeysOf(toNormalized(record), seq, placeholders)) {
      const text = postingKeyText(key[1], key[2]);
      let list = expectedPostings.get(text);
      if (list === undefined) expectedPostings.set(text, (list = []));
      list.push(`${key[3]}:${key[4]}`);
    }
  }
  comparePostings(storage.index.allPostings(), expectedPostings, (message) => note('index', message));
  const counts = storage.counts();
  const dedupeEntries = dedupe.entryCount + storage.collisionCount();
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

/** Reports each index key whose stored postings ("time:seq", sorted) differ from what the log implies. */
function comparePostings(stored: Map<string, string[]>, expected: Map<string, string[]>, note: (message: string) => void): void {
  const describe = (text: string): string => `${INDEX_FIELDS[text.charCodeAt(0) - 49] ?? 'kind ' + text[0]} ${JSON.stringify(text.slice(1))}`;
  for (const [text, want] of expected) {
    const have = stored.get(text) ?? [];
    want.sort();
    if (have.length !== want.length || have.some((entry, i) => entry !== want[i])) {
      note(`index entries of ${describe(text)}: ${have.length} stored, the log implies ${want.length}${have.length === want.length ? ' (different events)' : ''}`);
    }
  }
  for (const [text, have] of stored) if (!expected.has(text)) note(`index entries of ${describe(text)}: ${have.length} stored, the log implies none`);
}
