// The single writer: validates, dedupes and issues every write of a batch in one synchronous stage (one LMDB transaction).

import { errors as eventdbErrors } from '../errors.js';
import type { Durability, ResolvedOptions } from '../options.js';
import { canonicalJson } from '../schema/json-value.js';
import type { NormalizedRecord, Validation } from '../schema/record.js';
import type { Counters, IngestResult } from '../schema/results.js';
import { validateRecord, type ValidationContext } from '../schema/validate.js';
import { validateSetAttributes } from '../schema/validate-set-attributes.js';
import type { ProjectionBatch, Projector } from '../projections/projector.js';
import type { DedupeSet, Probe, Seen } from '../storage/dedupe-set.js';
import { contentHash } from '../storage/hash.js';
import type { WrittenEntries } from '../storage/pending-writes.js';
import type { QuarantineStore } from '../storage/quarantine-store.js';
import { fromTuple, toNormalized, toTuple } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import type { CatalogApplier } from '../catalog/catalog-applier.js';
import { isCatalogRecord, reassertedEventId } from '../catalog/catalog-records.js';
import { visitIndexKeys } from './index-keys.js';
import { CheckpointSchedule } from './checkpoint-schedule.js';

/**
 * Turns inputs into log writes. Everything for one call is staged in one
 * synchronous LMDB transaction, committed (and flushed when durable) before
 * the call's promise settles; concurrent single-record calls are grouped
 * into one call (`writeSingle`).
 */
export class BatchWriter {
  private nextSeq: number;
  private failure: Error | undefined;
  /** True inside `stage`: a nested stage would split or merge transactions. */
  private staging = false;
  /** The position of the last call staged. */
  private stagedPosition: number;

  /** True once a commit has failed: the store refuses writes until it is reopened. */
  get failed(): boolean {
    return this.failure !== undefined;
  }
  /** Single-record calls waiting to be written together (group commit); see `writeOne`. */
  private queued: { input: unknown; resolve: (result: IngestResult) => void; reject: (err: unknown) => void }[] = [];
  private readonly validation: ValidationContext;
  private readonly checkpoints: CheckpointSchedule;
  /** Fires `checkpoint.idleMs` after the last call: see `armIdleCheckpoint`. */
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly dedupe: DedupeSet,
    private readonly quarantine: QuarantineStore,
    private readonly counters: Counters,
    private readonly options: ResolvedOptions,
    private readonly projector: Projector,
    private readonly catalog: CatalogApplier,
    /** Rebuilds the in-memory projections from what is committed: the checkpoint in LMDB and the log after it. */
    private readonly refold: () => void,
    /** Hears when a call starts and ends its transaction (the consolidation writes while the writer is idle). */
    private readonly activity: WriterActivity = { staging: () => undefined, settled: () => undefined },
  ) {
    this.nextSeq = storage.lastSeq() + 1;
    this.stagedPosition = this.nextSeq - 1;
    if (!options.readOnly) storage.appendedThrough(this.nextSeq - 1);
    this.validation = { placeholders: options.placeholderIds, limits: options.limits };
    this.checkpoints = new CheckpointSchedule(options.checkpoint, options.clock);
  }

  /** Writes the inputs; resolves with one result per input once they are committed (and flushed when durable). */
  write(inputs: readonly unknown[]): Promise<IngestResult[]> {
    return this.commit(inputs, (input) => validateRecord(input, this.validation));
  }

  /**
   * Writes one record together with every other single-record call made before the next turn of the event loop:
   * 1,000 concurrent `ingest()` calls become one batch, folded and committed once, instead of 1,000 small ones
   * sharing a transaction. Any other write flushes the queue first, so records keep the order of the calls.
   */
  writeSingle(input: unknown): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ input, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flushQueued());
    });
  }

  private flushQueued(): void {
    if (this.queued.length === 0) return;
    const calls = this.queued;
    this.queued = [];
    this.write(calls.map((call) => call.input)).then(
      (results) => {
        for (let i = 0; i < calls.length; i++) calls[i]!.resolve(results[i]!);
      },
      (err: unknown) => {
        for (const call of calls) call.reject(err);
      },
    );
  }

  /** Writes one attribute update (a `setAttributes` call) as a record. */
  async writeAttributes(target: unknown, update: unknown): Promise<IngestResult> {
    const [result] = await this.commit([{ target, update }], (call) => {
      const { target: t, update: u } = call as { target: unknown; update: unknown };
      return validateSetAttributes(t, u, this.validation);
    });
    return result!;
  }

  /**
   * Writes the catalog records of a feed import (feed items and removals,
   * already validated). `accepted`: written; `duplicate`: it would change
   * nothing (see `writeCatalogRecord`), nothing written and no counter moved.
   */
  writeCatalog(records: readonly NormalizedRecord[]): Promise<IngestResult[]> {
    return this.commit(records, (record) => ({ ok: true, record: record as NormalizedRecord, warnings: [] }));
  }

  /**
   * Writes one record like `write`, and issues `alsoIssue`'s writes in the same
   * event turn, so they commit in the same transaction as the record (or its
   * rejection): quarantine `resubmit` removes the entry it re-sends with it.
   */
  async writeWith(input: unknown, alsoIssue: () => void): Promise<IngestResult> {
    const [result] = await this.commit([input], (record) => validateRecord(record, this.validation), this.options.durability, { stage: alsoIssue });
    return result!;
  }

  /**
   * Writes inputs validated elsewhere (bulk-ingest workers run the same pure
   * `validateRecord`): `validations[i]` belongs to `inputs[i]`, whose value is
   * only read when it is rejected (for the quarantine). `durability` overrides
   * the store's for this call.
   */
  writeValidated(inputs: readonly unknown[], validations: readonly Validation[], durability: Durability = this.options.durability): Promise<IngestResult[]> {
    return this.commit(inputs, (_input, index) => validations[index]!, durability);
  }

  /**
   * Writes a checkpoint now (at close, after a repair): the projection state held in memory goes to LMDB with
   * the log position it reflects. `stage` runs in the synchronous stage first (a repair's writes).
   */
  async checkpoint(stage?: () => void): Promise<void> {
    await this.commit([], () => ({ ok: false, errors: [] }), this.options.durability, { checkpoint: true, stage });
  }

  /**
   * One write call, one transaction: `stage` issues every write inside a synchronous LMDB transaction, which
   * commits when it returns; then the call is settled (`settle`). Nothing else runs between the stage and the
   * commit, so the projections the stage folds in place are committed by the time any read runs. A transaction
   * that fails leaves LMDB as it was: the projections in memory are folded again from what is committed, and as
   * the stage has moved the rest of the writer's memory on (sequence numbers, dedupe entries), the writer refuses
   * writes until the store is reopened, as after any failed commit.
   */
  private async commit(
    inputs: readonly unknown[],
    validate: (input: unknown, index: number) => Validation,
    durability: Durability = this.options.durability,
    extra: { checkpoint?: boolean; stage?: (() => void) | undefined } = {},
  ): Promise<IngestResult[]> {
    if (this.options.readOnly) throw eventdbErrors.readOnly('ingesting');
    if (this.queued.length > 0) this.flushQueued();
    if (this.failure !== undefined) throw eventdbErrors.writeFailed(this.failure);
    let staged: Staged | undefined;
    this.activity.staging();
    try {
      this.storage.transact(() => {
        staged = this.stage(inputs, validate, extra);
      }, durability === 'durable');
    } catch (err) {
      this.activity.settled(false);
      this.failure = err as Error;
      // The stage folded the call into memory in place: reads must not see what did not commit.
      try {
        this.refold();
      } catch {
        // Reads then see the checkpoint's state: older than what committed, never what did not.
        this.storage.derived.clearWindows();
      }
      if (staged === undefined) throw err;
      this.storage.pending.settle(staged.written);
      throw eventdbErrors.writeFailed(err);
    }
    this.storage.appendedThrough(this.nextSeq - 1);
    this.settle(staged!);
    this.activity.settled(staged!.checkpointed !== undefined);
    this.armIdleCheckpoint();
    // The call resolves in a later turn of the event loop, as when the commit was asynchronous: a loop of awaited
    // write calls leaves room for timers, I/O and readers between them.
    await nextTurn();
    return staged!.results;
  }

  /**
   * After a call, (re)starts the idle timer: when no call follows within `checkpoint.idleMs` and enough records
   * wait, they are checkpointed, so a crash in a quiet period replays nothing and `close()` has little to write.
   * The timer does not keep the process alive.
   */
  private armIdleCheckpoint(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.stopped || this.failure !== undefined || !this.checkpoints.idleDue()) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.stopped || this.failure !== undefined || this.queued.length > 0 || !this.checkpoints.idleDue()) return;
      // A failed commit is kept as the writer's failure: the next write call reports it.
      this.checkpoint().catch(() => undefined);
    }, this.options.checkpoint.idleMs);
    this.idleTimer.unref();
  }

  /** No more idle checkpoints (the store is closing). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /**
   * The synchronous stage: validation, dedupe, the records (log, quarantine, collisions), the fold into the
   * in-memory derived state, a checkpoint when one is due, and the counters — all written in the transaction
   * `commit` runs it in. The call's position is its last record's seq.
   */
  private stage(
    inputs: readonly unknown[],
    validate: (input: unknown, index: number) => Validation,
    extra: { checkpoint?: boolean; stage?: (() => void) | undefined },
  ): Staged {
    invariant(!this.staging, "a write call was staged inside another call's stage: its writes would join that transaction");
    this.staging = true;
    try {
      const firstSeq = this.nextSeq;
      extra.stage?.();
      const projection = this.projector.begin();
      const results = inputs.map((input, index) => this.writeOne(input, validate(input, index), projection));
      this.catalog.flush();
      const position = this.nextSeq - 1;
      // Positions follow the log, so "every posting at or before P" is exactly "every call whose records a
      // snapshot holding P has": a reader never needs to know which commits have been announced.
      invariant(position >= this.stagedPosition, `positions go back: ${position} staged after ${this.stagedPosition}`);
      this.stagedPosition = position;
      this.storage.sampleLogDictionary(position);
      const inMemory = this.storage.derived.windowSize + this.storage.index.overlaySize + this.dedupe.overlaySize;
      const checkpointed = this.checkpoints.due(this.nextSeq - firstSeq, inMemory, extra.checkpoint === true) ? this.writeCheckpoint(position) : undefined;
      // A checkpoint of a quiet writer (idle, close, repair) may end the generation: see `Storage.endGenerationEarly`.
      const generationStart = extra.checkpoint === true ? this.storage.endGenerationEarly(position) : undefined;
      const written = this.storage.pending.take();
      this.storage.putCounters(this.counters);
      return { results, written, checkpointed, generationStart };
    } finally {
      this.staging = false;
    }
  }

  /**
   * Settles a committed call: its dedupe entries and pending writes are read from LMDB from now on, and a
   * checkpoint it carried lets memory drop what LMDB now holds.
   */
  private settle(staged: Staged): void {
    const { written, checkpointed, generationStart } = staged;
    this.storage.pending.settle(written);
    if (generationStart !== undefined) this.storage.startGeneration(generationStart);
    if (checkpointed !== undefined) {
      this.storage.index.pruneCheckpointed(checkpointed);
      this.dedupe.pruneCheckpointed(checkpointed);
      this.checkpoints.landed();
    }
  }

  /** Issues the in-memory projection state and its log position with the batch being staged. */
  private writeCheckpoint(position: number): number {
    invariant(position === this.nextSeq - 1, `a checkpoint at ${position} while the log ends at ${this.nextSeq - 1}`);
    this.storage.derived.writeCheckpoint(position);
    this.storage.index.writeCheckpoint(position);
    this.dedupe.writeCheckpoint(position);
    this.storage.writeCheckpointPosition(position);
    this.checkpoints.written();
    return position;
  }

  private writeOne(input: unknown, validation: Validation, projection: ProjectionBatch): IngestResult {
    if (!validation.ok) return this.reject(input, validation.errors);
    const { record, warnings } = validation;
    if (isCatalogRecord(record)) return this.writeCatalogRecord(record);
    const timeGiven = !Number.isNaN(record.time);
    this.complete(record);
    const probe = this.dedupe.probe(record.eventId);
    const seen = this.dedupe.find(probe);
    if (seen !== undefined) return this.duplicate(record, seen, timeGiven, warnings);

    const seq = this.append(record, probe);
    if (record.kind === 'product') {
      this.counters.productUpdates++;
      this.mergeProduct(record);
    } else {
      this.counters[record.kind === 'event' ? 'events' : 'attributeUpdates']++;
      this.projector.apply(projection, record, seq);
    }
    const result: IngestResult = { status: 'accepted', eventId: record.eventId, seq };
    if (warnings.length > 0) result.warnings = warnings;
    return result;
  }

  /** Issues the log, dedupe and index writes of a new record; returns its seq. */
  private append(record: NormalizedRecord, probe: Probe): number {
    const seq = this.nextSeq++;
    this.storage.putRecord(seq, toTuple(record));
    this.dedupe.add(probe, seq);
    visitIndexKeys(record, seq, this.options.placeholderIds, this.storage.index.add);
    return seq;
  }

  /**
   * A feed item whose content-derived eventId is stored already is written
   * again (under an eventId of content and time) only when it would change
   * the entry — payloads changed it since; otherwise re-importing an
   * unchanged feed writes nothing. A removal is written once per (id, time).
   */
  private writeCatalogRecord(record: NormalizedRecord): IngestResult {
    let probe = this.dedupe.probe(record.eventId);
    if (this.dedupe.find(probe) !== undefined) {
      if (record.kind !== 'feedItem' || !this.catalog.wouldChange(record)) return { status: 'duplicate', eventId: record.eventId };
      record.eventId = reassertedEventId(record);
      probe = this.dedupe.probe(record.eventId);
      if (this.dedupe.find(probe) !== undefined) return { status: 'duplicate', eventId: record.eventId };
    }
    const seq = this.append(record, probe);
    this.counters[record.kind === 'feedItem' ? 'feedItems' : 'productRemovals']++;
    this.catalog.apply(record);
    return { status: 'accepted', eventId: record.eventId, seq };
  }

  private reject(input: unknown, errors: IngestResult['errors'] & object): IngestResult {
    this.counters.rejected++;
    if (this.options.quarantine) this.quarantine.add(input, errors, this.options.clock());
    const eventId = readEventId(input);
    return eventId === undefined ? { status: 'rejected', errors } : { status: 'rejected', eventId, errors };
  }

  private duplicate(record: NormalizedRecord, seen: Seen, timeGiven: boolean, warnings: IngestResult['warnings']): IngestResult {
    this.counters.duplicates++;
    // A record of this call is read back in its transaction, which sees the call's writes.
    const tuple = seen.tuple ?? this.storage.getRecord(seen.seq);
    const stored = tuple === undefined ? undefined : toNormalized(fromTuple(seen.seq, tuple));
    const result: IngestResult = { status: 'duplicate', eventId: record.eventId, seq: seen.seq };
    if (stored !== undefined && !sameContent(record, stored, timeGiven)) {
      this.counters.conflicts++;
      result.conflict = true;
    }
    if (warnings !== undefined && warnings.length > 0) result.warnings = warnings;
    return result;
  }

  /**
   * Product payloads and attribute updates may omit their timestamp (it is
   * "now") and their eventId (derived from the content and the time, so an
   * identical resend is a duplicate while a later one applies).
   */
  private complete(record: NormalizedRecord): void {
    if (record.kind === 'event') return;
    if (Number.isNaN(record.time)) record.time = this.options.clock();
    if (record.eventId === '') {
      const { eventId: _unset, ...content } = record;
      record.eventId = `${record.kind === 'product' ? 'p' : 'a'}-${contentHash(canonicalJson(content))}`;
    }
  }

  private mergeProduct(record: NormalizedRecord): void {
    this.catalog.apply(record);
  }
}

/** Told when a write call starts its transaction and when it has settled (or failed). */
export interface WriterActivity {
  staging(): void;
  /** `checkpointed`: the call carried a checkpoint, which may have closed a generation. */
  settled(checkpointed: boolean): void;
}

/** What one write call's stage issued, to settle once its transaction commits. */
interface Staged {
  results: IngestResult[];
  written: WrittenEntries;
  /** The position of the checkpoint the call carried. */
  checkpointed: number | undefined;
  /** The seq its checkpoint started the next generation at, if it ended the last one early. */
  generationStart: number | undefined;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An invariant of the writer: broken, it is a bug in eventdb, never a bad input. */
function invariant(holds: boolean, message: string): asserts holds {
  if (!holds) throw new Error(`eventdb internal invariant broken: ${message}`);
}

/** The eventId of a rejected input, when it has a readable string one. */
function readEventId(input: unknown): string | undefined {
  try {
    const eventId = (input as { eventId?: unknown } | null)?.eventId;
    return typeof eventId === 'string' ? eventId : undefined;
  } catch {
    return undefined;
  }
}

/** Same content as the stored record; a defaulted product-payload time is not part of the content. */
function sameContent(record: NormalizedRecord, stored: NormalizedRecord, timeGiven: boolean): boolean {
  const a = timeGiven ? record : { ...record, time: 0 };
  const b = timeGiven ? stored : { ...stored, time: 0 };
  return canonicalJson(a) === canonicalJson(b);
}
