// verify(): recomputes what the log implies (dedupe entries, index keys, counters) and compares with what is stored.

import type { Counters } from '../ingest/results.js';
import { indexKeysOf } from '../ingest/index-keys.js';
import type { DedupeSet } from '../storage/dedupe-set.js';
import { fromTuple, toNormalized } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';

/** One disagreement between the log and what was derived from it. */
export interface Difference {
  kind: 'dedupe' | 'index' | 'counter';
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** At most 100 differences are listed; `differenceCount` counts them all. */
  differences: Difference[];
  differenceCount: number;
  recordsChecked: number;
}

const MAX_LISTED = 100;

export function verifyStore(
  storage: Storage,
  dedupe: DedupeSet,
  counters: Counters,
  placeholders: ReadonlySet<string>,
): VerifyReport {
  const report: VerifyReport = { ok: true, differences: [], differenceCount: 0, recordsChecked: 0 };
  const note = (kind: Difference['kind'], message: string): void => {
    report.ok = false;
    report.differenceCount++;
    if (report.differences.length < MAX_LISTED) report.differences.push({ kind, message });
  };
  let expectedIndexEntries = 0;
  let events = 0;
  for (const { key: seq, value } of storage.records()) {
    const record = fromTuple(seq, value);
    report.recordsChecked++;
    if (record.kind === 'event') events++;
    const found = dedupe.findCommitted(record.eventId);
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
  if (counters.events !== events) note('counter', `events counter is ${counters.events}, the log holds ${events}`);
  if (counters.productUpdates !== report.recordsChecked - events) {
    note('counter', `productUpdates counter is ${counters.productUpdates}, the log holds ${report.recordsChecked - events}`);
  }
  return report;
}
