// verify(): recomputes what the log implies (dedupe entries, index keys, counters, projections, catalog) and compares
// with what is stored; with `repair`, every difference also carries the write that repairs it (rebuild() runs them).

import type { Counters } from '../schema/results.js';
import { indexKeysOf } from '../ingest/index-keys.js';
import { postingKeyText } from '../storage/event-index.js';
import { INDEX_FIELDS } from '../storage/keys.js';
import type { DedupeSet } from '../storage/dedupe-set.js';
import type { DedupeEntry } from '../storage/dedupe-runs.js';
import { fromTuple, toNormalized, type StoredRecord } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import type { CompiledComputed } from '../projections/computed.js';
import { compareProjections, ProjectionRebuild } from '../projections/rebuild.js';
import { CatalogRebuild } from '../catalog/catalog-rebuild.js';
import type { CatalogStore } from '../storage/catalog-store.js';

/**
 * One disagreement between the log and what was derived from it. `log`
 * differences (a missing sequence number, a record that cannot be decoded)
 * are in the log itself: nothing can repair them.
 */
export interface Difference {
  kind: 'log' | 'dedupe' | 'index' | 'counter' | 'projection' | 'catalog';
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** At most 100 differences are listed; `differenceCount` counts them all. */
  differences: Difference[];
  differenceCount: number;
  recordsChecked: number;
  /**
   * Set when the report comes from `rebuild()`: true when every difference
   * listed was repaired; false when some cannot be (kind `log`), and those are
   * listed in `unrepairable`.
   */
  repaired?: boolean;
  /** From `rebuild()`: the differences it could not repair (at most 100). */
  unrepairable?: Difference[];
}

/** A write that repairs one difference. */
export type Fix = () => void;

export interface VerifyResult {
  report: VerifyReport;
  /** With `repair`: the writes that make the stored state what the log implies, in the order to run them. */
  fixes: Fix[];
  /** With `repair`: the counters as the log implies them, once the fixes have run (the caller persists them). */
  counters: Counters;
  /**
   * With `repair`, when the dedupe set, the index or the projections differ: writes all three anew from the log,
   * as one checkpoint at the log's end (the caller then drops the writer's in-memory state of them).
   */
  rewrite: Fix | undefined;
}

export interface VerifyInput {
  storage: Storage;
  dedupe: DedupeSet;
  /** The counters to check (the committed ones). */
  counters: Counters;
  placeholders: ReadonlySet<string>;
  computed: readonly CompiledComputed[];
  catalogStore?: CatalogStore;
  /** Collect the fixes (costs memory in proportion to the differences). */
  repair?: boolean;
}

const MAX_LISTED = 100;

export function verifyStore(input: VerifyInput): VerifyResult {
  const { storage, dedupe, placeholders, catalogStore } = input;
  const rebuilt = new ProjectionRebuild(input.computed, placeholders, (seq) => storage.generationOf(seq));
  const catalog = new CatalogRebuild();
  const report: VerifyReport = { ok: true, differences: [], differenceCount: 0, recordsChecked: 0 };
  const counters: Counters = { ...input.counters };
  // Removals run before writes: a dedupe key holding a wrong seq is removed, then written with the right one.
  const removals: Fix[] = [];
  let derivedDiffers = false;
  const writes: Fix[] = [];
  const note = (kind: Difference['kind'], message: string, fix?: Fix, removal = false): void => {
    report.ok = false;
    report.differenceCount++;
    if (report.differences.length < MAX_LISTED) report.differences.push({ kind, message });
    // Dedupe, index and projection differences are repaired by writing all three anew (`rewrite`), not one by one.
    if (kind === 'dedupe' || kind === 'index' || kind === 'projection') derivedDiffers = true;
    else if (input.repair === true && fix !== undefined) (removal ? removals : writes).push(fix);
  };
  const expectedPostings = new Map<string, string[]>();
  /** Each record's eventId and hash, in log order: a rebuild writes the dedupe set anew from it. */
  const dedupePlan: { seq: number; eventId: string; hash: bigint }[] = [];
  let lastSeq = 0;
  const perKind = { event: 0, product: 0, attributes: 0, feedItem: 0, productRemoval: 0 };
  for (const { seq, record } of readLog(storage, (message) => note('log', message))) {
    report.recordsChecked++;
    rebuilt.add(toNormalized(record), seq);
    catalog.add(toNormalized(record));
    perKind[record.kind]++;
    const { eventId } = record;
    lastSeq = seq;
    if (input.repair === true) dedupePlan.push({ seq, eventId, hash: dedupe.probe(eventId).hash });
    const found = dedupe.findCommitted(eventId, Number.POSITIVE_INFINITY, () => Number.POSITIVE_INFINITY)?.seq;
    if (found !== seq) note('dedupe', `eventId ${eventId} at seq ${seq} resolves to ${String(found)}`);
    for (const key of indexKeysOf(toNormalized(record), seq, placeholders)) {
      const text = postingKeyText(key[1], key[2]);
      let list = expectedPostings.get(text);
      if (list === undefined) expectedPostings.set(text, (list = []));
      list.push(`${key[3]}:${key[4]}`);
    }
  }
  comparePostings(storage.index.allPostings(), expectedPostings, (message) => note('index', message));
  const dedupeEntries = dedupe.entryCount + storage.collisionCount();
  if (dedupeEntries !== report.recordsChecked) {
    note('dedupe', `${dedupeEntries} dedupe entries (runs, memory and collisions) stored for ${report.recordsChecked} records`);
  }

  const kinds = [
    ['events', perKind.event],
    ['productUpdates', perKind.product],
    ['attributeUpdates', perKind.attributes],
    ['feedItems', perKind.feedItem],
    ['productRemovals', perKind.productRemoval],
  ] as const;
  for (const [name, count] of kinds) {
    if (counters[name] !== count) {
      note('counter', `${name} counter is ${counters[name]}, the log holds ${count}`, () => {
        counters[name] = count;
      });
    }
  }
  const { generations, until } = storage.consolidation();
  compareProjections(storage.derived, rebuilt, counters, note, { generations, until, computed: input.computed });
  if (catalogStore !== undefined) catalog.compare(catalogStore, (message, fix) => note('catalog', message, fix));
  const rewrite = input.repair === true && derivedDiffers ? () => rewriteDerived(storage, rebuilt, expectedPostings, dedupePlan, lastSeq) : undefined;
  return { report, fixes: [...removals, ...writes], counters, rewrite };
}

/**
 * The log in seq order. A missing sequence number or a record that cannot be
 * decoded is reported and stepped over: what the other records imply is
 * still checked.
 */
function* readLog(storage: Storage, note: (message: string) => void): Iterable<{ seq: number; record: StoredRecord }> {
  let expected = 1;
  const gapTo = (seq: number): void => {
    if (seq > expected) note(seq === expected + 1 ? `log record at seq ${expected} is missing` : `log records at seq ${expected} to ${seq - 1} are missing`);
    expected = seq + 1;
  };
  for (;;) {
    try {
      for (const { key: seq, value } of storage.records(expected)) {
        gapTo(seq);
        let record: StoredRecord;
        try {
          record = fromTuple(seq, value);
          toNormalized(record);
        } catch (err) {
          note(`log record at seq ${seq} cannot be decoded: ${(err as Error).message}`);
          continue;
        }
        yield { seq, record };
      }
      return;
    } catch (err) {
      // The range iterator itself failed to decode the next value: step past that record.
      const bad = storage.firstLogKeyFrom(expected);
      if (bad === undefined) return;
      gapTo(bad);
      note(`log record at seq ${bad} cannot be decoded: ${(err as Error).message}`);
    }
  }
}

/** Reports each index key whose stored postings ("time:seq", sorted) differ from what the log implies. */
function comparePostings(stored: Map<string, string[]>, expected: Map<string, string[]>, note: (message: string) => void): void {
  const describe = (text: string): string => `${INDEX_FIELDS[text.charCodeAt(0) - 49] ?? 'kind ' + text[0]} ${JSON.stringify(text.slice(1))}`;
  for (const [text, want] of expected) {
    const have = stored.get(text) ?? [];
    want.sort();
    if (have.length !== want.length || have.some((entry, i) => entry !== want[i])) {
      note(
        `index entries of ${describe(text)}: ${have.length} stored, the log implies ${want.length}${have.length === want.length ? ' (different events)' : ''}`,
      );
    }
  }
  for (const [text, have] of stored) if (!expected.has(text)) note(`index entries of ${describe(text)}: ${have.length} stored, the log implies none`);
}

/** Writes the dedupe set, the index and the projections anew from what the log implies, as a checkpoint at `lastSeq`. */
function rewriteDerived(
  storage: Storage,
  rebuilt: ProjectionRebuild,
  postings: Map<string, string[]>,
  plan: readonly { seq: number; eventId: string; hash: bigint }[],
  lastSeq: number,
): void {
  storage.dedupeRuns.clear();
  storage.clearCollisions();
  const primary = new Set<bigint>();
  const entries: DedupeEntry[] = [];
  for (const { seq, eventId, hash } of plan) {
    if (primary.has(hash)) storage.putCollision(eventId, seq);
    else {
      primary.add(hash);
      entries.push({ hash, seq });
    }
  }
  storage.dedupeRuns.write(lastSeq, entries);
  storage.index.clearStored();
  storage.index.clearOverlay();
  for (const [text, list] of postings) {
    const kind = text.charCodeAt(0) - 48;
    for (const entry of list) {
      const [time, seq] = entry.split(':').map(Number) as [number, number];
      storage.index.add(kind, text.slice(1), time, seq);
    }
  }
  storage.index.writeCheckpoint(lastSeq);
  storage.index.pruneCheckpointed(lastSeq);
  storage.derived.replaceAll(rebuilt.store);
  storage.putConsolidation(0, false);
  storage.writeCheckpointPosition(lastSeq);
}
