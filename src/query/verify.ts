// verify(): recomputes what the log implies (dedupe entries, index keys, counters, projections, catalog) and compares
// with what is stored; with `repair`, every difference also carries the write that repairs it (rebuild() runs them).

import type { Counters } from '../ingest/results.js';
import { indexKeysOf } from '../ingest/index-keys.js';
import type { DedupeSet } from '../storage/dedupe-set.js';
import { dedupeKey, generationOf, withGeneration, type IndexKey } from '../storage/keys.js';
import { fromTuple, toNormalized, tupleEventId, type StoredRecord } from '../storage/record-codec.js';
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
  const rebuilt = new ProjectionRebuild(input.computed, placeholders);
  const catalog = new CatalogRebuild();
  const report: VerifyReport = { ok: true, differences: [], differenceCount: 0, recordsChecked: 0 };
  const counters: Counters = { ...input.counters };
  // Removals run before writes: a dedupe key holding a wrong seq is removed, then written with the right one.
  const removals: Fix[] = [];
  const writes: Fix[] = [];
  const note = (kind: Difference['kind'], message: string, fix?: Fix, removal = false): void => {
    report.ok = false;
    report.differenceCount++;
    if (report.differences.length < MAX_LISTED) report.differences.push({ kind, message });
    if (input.repair === true && fix !== undefined) (removal ? removals : writes).push(fix);
  };
  const records = new RecordReader(storage, dedupe);

  let expectedIndexEntries = 0;
  let indexMissing = false;
  let dedupeWrong = false;
  const perKind = { event: 0, product: 0, attributes: 0, feedItem: 0, productRemoval: 0 };
  for (const { seq, record } of readLog(storage, (message) => note('log', message))) {
    report.recordsChecked++;
    rebuilt.add(toNormalized(record), seq);
    catalog.add(toNormalized(record));
    perKind[record.kind]++;
    const { eventId } = record;
    const hash = dedupe.probe(eventId).hash;
    const found = dedupe.findCommitted(eventId)?.seq;
    if (found !== seq) {
      dedupeWrong = true;
      note('dedupe', `eventId ${eventId} at seq ${seq} resolves to ${String(found)}`, () => {
        if (records.isPrimary(seq, hash)) storage.putDedupe(withGeneration(dedupeKey(hash), generationOf(seq)), seq);
        else storage.putCollision(eventId, seq);
      });
    }
    for (const key of indexKeysOf(toNormalized(record), seq, placeholders)) {
      expectedIndexEntries++;
      if (!storage.hasIndexKey(key)) {
        indexMissing = true;
        note('index', `missing index entry ${JSON.stringify(key)} of eventId ${eventId}`, () => storage.putIndex(key));
      }
    }
  }

  const counts = storage.counts();
  if (counts.indexEntries !== expectedIndexEntries || indexMissing) {
    // Stored keys beyond the expected ones exist: name each (a key is expected when its record implies it).
    let extras = 0;
    for (const key of storage.allIndexKeys()) {
      if (records.impliesIndexKey(key, placeholders)) continue;
      extras++;
      note('index', `extra index entry ${JSON.stringify(key)}: the log implies no such entry`, () => storage.removeIndex(key), true);
    }
    if (extras === 0 && !indexMissing) note('index', `${counts.indexEntries} index entries stored, the log implies ${expectedIndexEntries}`);
  }

  const dedupeEntries = counts.dedupeEntries + storage.collisionCount();
  if (dedupeEntries !== report.recordsChecked || dedupeWrong) {
    let extras = 0;
    for (const { key, value: seq } of storage.dedupeEntries()) {
      const copy = Buffer.from(key);
      if (records.justifiesDedupe(copy, seq)) continue;
      extras++;
      note('dedupe', `extra dedupe entry ${copy.toString('hex')} → seq ${seq}: the log implies no such entry`, () => storage.removeDedupe(copy), true);
    }
    for (const { key: eventId, value: seq } of storage.collisionEntries()) {
      if (records.justifiesCollision(eventId, seq)) continue;
      extras++;
      note('dedupe', `extra collision entry of eventId ${eventId} → seq ${seq}: the log implies no such entry`, () => storage.removeCollision(eventId), true);
    }
    if (extras === 0 && !dedupeWrong) note('dedupe', `${dedupeEntries} dedupe entries stored for ${report.recordsChecked} records`);
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
  rebuilt.finish();
  compareProjections(storage, rebuilt, counters, note);
  if (catalogStore !== undefined) catalog.compare(catalogStore, (message, fix) => note('catalog', message, fix));
  return { report, fixes: [...removals, ...writes], counters };
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

/** Random access to the log for judging stored entries: is this entry implied by the record it points at? */
class RecordReader {
  constructor(
    private readonly storage: Storage,
    private readonly dedupe: DedupeSet,
  ) {}

  /** The record at `seq`, or undefined when it is missing or cannot be decoded. */
  record(seq: number): StoredRecord | undefined {
    try {
      const tuple = this.storage.getRecord(seq);
      if (tuple === undefined) return undefined;
      const record = fromTuple(seq, tuple);
      toNormalized(record);
      return record;
    } catch {
      return undefined;
    }
  }

  private hashAt(seq: number): bigint | undefined {
    try {
      const tuple = this.storage.getRecord(seq);
      return tuple === undefined ? undefined : this.dedupe.probe(tupleEventId(tuple)).hash;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the record at `seq` holds its eventId's hash in the dedupe tree: no
   * earlier record has that hash. Otherwise (astronomically rare) the writer
   * put its eventId in the collisions tree.
   */
  isPrimary(seq: number, hash: bigint): boolean {
    const key = dedupeKey(hash);
    for (let gen = 0; gen <= generationOf(seq); gen++) {
      const held = this.storage.getDedupe(withGeneration(key, gen));
      if (held !== undefined && held < seq && this.hashAt(held) === hash) return false;
    }
    return true;
  }

  impliesIndexKey(key: IndexKey, placeholders: ReadonlySet<string>): boolean {
    const seq = key[4];
    const record = this.record(seq);
    if (record === undefined) return false;
    const text = JSON.stringify(key);
    return indexKeysOf(toNormalized(record), seq, placeholders).some((k) => JSON.stringify(k) === text);
  }

  /** A dedupe entry is implied when it is the generation and hash of the record it points at, and that record is the hash's first. */
  justifiesDedupe(key: Buffer, seq: number): boolean {
    const hash = this.hashAt(seq);
    if (hash === undefined || key.readUInt16BE(0) !== generationOf(seq) || key.readBigUInt64BE(2) !== hash) return false;
    return this.isPrimary(seq, hash);
  }

  justifiesCollision(eventId: string, seq: number): boolean {
    const record = this.record(seq);
    if (record === undefined || record.eventId !== eventId) return false;
    return !this.isPrimary(seq, this.dedupe.probe(eventId).hash);
  }
}
