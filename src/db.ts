// EventDB: opens the store, wires storage, writer and readers, owns the lifecycle.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from './errors.js';
import { resolveOptions, type EventDBOptions, type ResolvedOptions } from './options.js';
import { BatchWriter } from './ingest/batch-writer.js';
import { emptyCounters, summarize, type BatchResult, type Counters, type IngestResult } from './schema/results.js';
import { ingestFile } from './ingest/bulk/bulk-ingest.js';
import type { IngestFileOptions, IngestFileResult } from './ingest/bulk/ingest-file-options.js';
import { queryEvents, type EventsQuery } from './query/events-query.js';
import type { Lazy } from './query/lazy.js';
import { DedupeSet } from './storage/dedupe-set.js';
import { hashEventId, loadHasher } from './storage/hash.js';
import { QuarantineStore, type QuarantinedRecord } from './storage/quarantine-store.js';
import { fromTuple, publicRecord, type StoredRecord } from './storage/record-codec.js';
import { makeScratchDir, removeScratchDir } from './storage/scratch-dir.js';
import { Storage } from './storage/storage.js';
import { StoreLock } from './storage/store-lock.js';
import { makeCatalogApi, upgradeCatalog, type CatalogApi } from './catalog/catalog-api.js';
import { CatalogApplier } from './catalog/catalog-applier.js';
import { catalogSize } from './catalog/catalog-index.js';
import { CatalogStore } from './storage/catalog-store.js';
import { verifyStore, type VerifyInput, type VerifyReport } from './query/verify.js';
import { replayTail, TailFollower, type ReplayOptions } from './ingest/tail-replay.js';
import { Projector } from './projections/projector.js';
import { mergePartialInto } from './projections/partials.js';
import { positionalPartials } from './projections/partial-codec.js';
import { Consolidator, type ConsolidationMode } from './ingest/consolidation.js';
import { ReadModel, type ProfileLookup } from './projections/read-model.js';
import type { Account, Profile, Session } from './projections/views.js';
import type { AttributeTarget, SetAttributesInput, Validation } from './schema/record.js';
import type { Issue } from './schema/issues.js';
import { validateRecord } from './schema/validate.js';
import { planChanges, readChanges, type Change, type ChangesOptions, type ChangesProbe } from './changes/change-feed.js';
import type { ExportOptions, ExportResult } from './export/export-options.js';

/** What `stats()` reports. */
export interface Stats {
  /** Records in the log (events and product payloads). */
  records: number;
  /** Behavioural events stored. */
  events: number;
  /** Product payloads stored. */
  productUpdates: number;
  /** Catalog entries (complete or not; removed ones not counted). */
  products: number;
  /** Feed items written by catalog imports. */
  feedItems: number;
  /** Products removed by `replace` imports. */
  productRemovals: number;
  /** Records refused as duplicates of a stored eventId. */
  duplicates: number;
  /** Duplicates whose content differed from the stored record. */
  conflicts: number;
  /** Records rejected by validation. */
  rejected: number;
  /** Rejected records currently kept in the quarantine. */
  quarantined: number;
  /** The last sequence number. */
  lastSeq: number;
  /** Size of the store's files. */
  bytesOnDisk: number;
  /** Unified profiles: userIds plus profileIds never linked to one. */
  profiles: number;
  accounts: number;
  sessions: number;
  /** Attribute updates stored through `setAttributes`. */
  attributeUpdates: number;
}

/** @internal Hooks for tests and benchmarks; not part of the public API. */
export interface InternalOptions {
  hashEventId?: (eventId: string) => bigint;
  /** `false` turns projections off (the benchmark's core-only baseline). */
  projections?: boolean;
  /** `false` closes without the final checkpoint, leaving the tail to replay as after a crash (tests). */
  checkpointAtClose?: boolean;
  /** Entries a merged dedupe run may reach: small in tests, so merges reach the limit within a small store. */
  dedupeMergeEntries?: number;
  /** Records per generation of a new store, as a power of two (default 18): small in tests, so generations close. */
  generationBits?: number;
  /** Where closed generations are consolidated (default `worker`); `inline` takes `consolidationRandom` for its slices. */
  consolidation?: ConsolidationMode;
  consolidationRandom?: () => number;
}

/**
 * An open eventdb store.
 *
 * @example
 * const db = await EventDB.open({ inMemory: true });
 * await db.ingest({ eventId: 'e1', profileId: 'p1', sessionId: 's1', eventName: 'view',
 *   timestamp: '2026-01-31T10:00:00Z' });
 * console.log(db.events({ profileId: 'p1' }).toArray());
 * await db.close();
 */
export class EventDB {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** The product catalog: feed imports, product payloads, lookups, queries and facets. */
  readonly catalog: CatalogApi;
  /** Rejected records, kept for inspection and re-submission. */
  readonly quarantine: QuarantineApi;

  private constructor(
    private readonly options: ResolvedOptions,
    private readonly storage: Storage,
    private readonly writer: BatchWriter,
    private readonly dedupe: DedupeSet,
    private readonly counters: Counters,
    quarantineStore: QuarantineStore,
    private readonly reads: ReadModel,
    private readonly catalogStore: CatalogStore,
    private readonly lock: StoreLock | undefined,
    private readonly internal: InternalOptions,
    private readonly consolidator: Consolidator,
  ) {
    this.catalog = makeCatalogApi({
      store: catalogStore,
      writeCatalog: (records) => writer.writeCatalog(records),
      clock: options.clock,
      ensureOpen: () => this.ensureOpen(),
      track: (work) => this.track(work),
    });
    this.quarantine = makeQuarantineApi(quarantineStore, this, {
      resubmit: (input, alsoIssue) => this.track(writer.writeWith(input, alsoIssue)),
      track: (work) => this.track(work),
      readOnly: options.readOnly,
    });
  }

  /** Opens (creating when needed) a store at `path`, or a throw-away one with `inMemory: true`. */
  static async open(options: EventDBOptions, internal: InternalOptions = {}): Promise<EventDB> {
    const resolved = resolveOptions(options);
    await loadHasher();
    const path = resolved.inMemory ? makeScratchDir() : resolved.path!;
    if (resolved.readOnly) return EventDB.openLocked(resolved, path, undefined, internal);
    if (!resolved.inMemory) prepareDirectory(path);
    const lock = StoreLock.acquire(path);
    try {
      return await EventDB.openLocked(resolved, path, lock, internal);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Opens the storage; `lock` is held by a writer, absent for a read-only handle. */
  private static async openLocked(resolved: ResolvedOptions, path: string, lock: StoreLock | undefined, internal: InternalOptions): Promise<EventDB> {
    if (resolved.readOnly && !existsSync(join(path, 'data.mdb'))) throw errors.invalidOptions('path', `no store to read at ${path}`);
    const storage = new Storage({
      path,
      mapSizeBytes: resolved.mapSizeBytes,
      noSync: resolved.inMemory,
      readOnly: resolved.readOnly,
      dedupeMergeEntries: internal.dedupeMergeEntries,
      partialCodec: positionalPartials,
      mergePartial: (kind, stored, delta) => {
        mergePartialInto(kind, stored, delta, resolved.computed);
        return stored;
      },
      generationBits: internal.generationBits,
      compression: resolved.compression,
    });
    const dedupe = new DedupeSet(storage, internal.hashEventId ?? hashEventId);
    const replay: ReplayOptions = {
      computed: resolved.computed,
      placeholders: resolved.placeholderIds,
      projections: internal.projections ?? true,
      index: true,
      dedupe,
    };
    let fromFormat1 = false;
    try {
      // A reader refuses a newer format too: it would misread a layout it does not know.
      if (resolved.readOnly) storage.refuseNewerFormat();
      else fromFormat1 = storage.upgradeFormat().fromFormat1;
    } catch (err) {
      await storage.close(); // a store of a newer format: refused, and nothing of it left open
      throw err;
    }
    if (!resolved.readOnly) {
      dedupe.load();
      storage.derived.loadIdentifierFilter(storage.checkpointPosition());
      // A format-1 store's projections are whole up to its checkpoint; its dedupe entries move into a run and its
      // postings are rebuilt from the log (the checkpoint below writes both).
      if (fromFormat1) {
        for (const { hash, seq } of storage.legacyDedupeEntries()) dedupe.addLegacy(hash, seq);
        replayTail(storage, { ...replay, projections: false, dedupe: undefined }, 0, storage.checkpointPosition());
      }
      // Recovery: the records after the last checkpoint are folded into memory again before the first write.
      replayTail(storage, replay, storage.checkpointPosition(), storage.lastSeq());
    }
    const counters = committedCounters(storage);
    const quarantine = new QuarantineStore(
      storage.quarantine,
      resolved.readOnly,
      resolved.readOnly ? undefined : storage.openTree<number, string>('quarantineKeys'),
    );
    const projector = new Projector(
      storage.derived,
      resolved.computed,
      resolved.placeholderIds,
      counters,
      (seq) => storage.generationOf(seq),
      internal.projections ?? true,
    );
    const catalogStore = new CatalogStore(storage);
    if (!resolved.readOnly) await upgradeCatalog(storage, catalogStore);
    const refold = (): void => {
      storage.derived.clearWindows();
      replayTail(storage, { ...replay, index: false, dedupe: undefined }, storage.checkpointPosition(), storage.lastSeq());
    };
    const consolidator = new Consolidator(
      resolved.readOnly ? 'off' : (internal.consolidation ?? 'worker'),
      storage,
      {
        path,
        mapSizeBytes: resolved.mapSizeBytes,
        noSync: resolved.inMemory,
        computed: resolved.computed,
        dedupeMergeEntries: internal.dedupeMergeEntries,
        compression: resolved.compression,
      },
      internal.consolidationRandom,
    );
    const writer = new BatchWriter(storage, dedupe, quarantine, counters, resolved, projector, new CatalogApplier(catalogStore), refold, consolidator);
    // An upgraded format-1 store writes the postings it rebuilt from its log and its dedupe run at once, and
    // drops the old dedupe entries in the same transaction.
    if (fromFormat1) await writer.checkpoint(() => storage.clearLegacyDedupe());
    const follower = resolved.readOnly ? new TailFollower(storage, replay) : undefined;
    const reads = new ReadModel(
      storage,
      resolved.computed,
      resolved.placeholderIds,
      follower === undefined ? undefined : (position) => follower.follow(position),
    );
    consolidator.kick();
    return new EventDB(resolved, storage, writer, dedupe, counters, quarantine, reads, catalogStore, lock, internal, consolidator);
  }

  /**
   * Ingests one record. Resolves once it is durable (see `durability`);
   * concurrent calls share one commit.
   */
  async ingest(record: unknown): Promise<IngestResult> {
    this.ensureOpen();
    return this.track(this.writer.writeSingle(record));
  }

  /** Ingests records in one transaction: valid ones land, invalid ones come back with their index. */
  async ingestBatch(records: readonly unknown[]): Promise<BatchResult> {
    this.ensureOpen();
    if (!Array.isArray(records)) throw errors.invalidArgument('records', 'must be an array');
    const { maxBatchSize } = this.options.limits;
    if (records.length > maxBatchSize) {
      throw errors.limitExceeded('records', `${records.length} records in one call, more than limits.maxBatchSize (${maxBatchSize}); split the batch`);
    }
    return summarize(await this.track(this.writer.write(records)));
  }

  /**
   * @internal The collector's write: `records` as `ingestBatch` takes them, and inputs an adapter already
   * rejected (`rejects`, kept in the quarantine with the adapter's errors), in one transaction. The result's
   * indexes count the records first, then the rejects.
   */
  async ingestPrepared(records: readonly unknown[], rejects: readonly { input: unknown; errors: Issue[] }[]): Promise<BatchResult> {
    this.ensureOpen();
    if (this.options.readOnly) throw errors.readOnly('ingestPrepared');
    const { maxBatchSize } = this.options.limits;
    if (records.length + rejects.length > maxBatchSize) {
      throw errors.limitExceeded('records', `${records.length + rejects.length} records in one call, more than limits.maxBatchSize (${maxBatchSize})`);
    }
    const context = { placeholders: this.options.placeholderIds, limits: this.options.limits };
    const inputs = [...records, ...rejects.map((reject) => reject.input)];
    const validations: Validation[] = [
      ...records.map((record) => validateRecord(record, context)),
      ...rejects.map((reject): Validation => ({ ok: false, errors: reject.errors })),
    ];
    return summarize(await this.track(this.writer.writeValidated(inputs, validations)));
  }

  /**
   * Ingests an NDJSON or JSON-array file, gzipped or not (told by its first
   * bytes), through a pool of worker threads that parse and validate; one
   * writer commits the chunks in file order, so the store ends as after
   * `ingestBatch` of the same records. Rejected lines go to `rejectsPath`;
   * re-running a file is idempotent. See docs/api.md for the options.
   *
   * @example
   * const result = await db.ingestFile('events.ndjson.gz', { workers: 2, rejectsPath: 'rejects.ndjson',
   *   onProgress: (p) => console.log(p.linesRead, p.ratePerSec) });
   * // { accepted, duplicates, rejected, conflicts, lines, bytes, elapsedMs, format, gzip }
   */
  async ingestFile(path: string, options: IngestFileOptions = {}): Promise<IngestFileResult> {
    this.ensureOpen();
    if (this.options.readOnly) throw errors.readOnly('ingestFile');
    if (typeof path !== 'string' || path === '') throw errors.invalidArgument('path', 'must be a non-empty string');
    const writer = this.writer;
    const target = {
      writeValidated: writer.writeValidated.bind(writer),
      placeholderIds: this.options.placeholderIds,
      limits: this.options.limits,
      durability: this.options.durability,
      ensureOpen: () => this.ensureOpen(),
    };
    return this.track(ingestFile(target, path, options));
  }

  /**
   * Updates a profile's or an account's attributes from a server-side source.
   * The update is a record in the log (deduped like any other); `timestamp`
   * defaults to now, `source` to `api`, and a missing `eventId` is derived
   * from the content and the timestamp.
   *
   * @example
   * await db.setAttributes({ userId: 'u1' }, { set: { plan: 'pro' }, source: 'crm' });
   */
  async setAttributes(target: AttributeTarget, update: SetAttributesInput): Promise<IngestResult> {
    this.ensureOpen();
    return this.track(this.writer.writeAttributes(target, update));
  }

  /** The unified profile of any identifier (a userId first, then a profileId), or of `{ userId }` / `{ profileId }`. */
  getProfile(identifier: ProfileLookup): Profile | undefined {
    this.ensureOpen();
    return this.reads.profile(identifier);
  }

  getAccount(accountId: string): Account | undefined {
    this.ensureOpen();
    return this.reads.account(accountId);
  }

  getSession(sessionId: string): Session | undefined {
    this.ensureOpen();
    return this.reads.session(sessionId);
  }

  /** The record with this eventId, or undefined. */
  getEvent(eventId: string): StoredRecord | undefined {
    this.ensureOpen();
    if (typeof eventId !== 'string') throw errors.invalidArgument('eventId', 'must be a string');
    const position = this.reads.pin();
    const found = this.dedupe.findCommitted(eventId, position, () => this.storage.checkpointPosition());
    return found === undefined ? undefined : publicRecord(fromTuple(found.seq, found.tuple));
  }

  /** Events of one key (profileId, userId, sessionId, accountId, eventName or productId) in time order, lazily. */
  events(query: EventsQuery): Lazy<StoredRecord> {
    this.ensureOpen();
    return queryEvents(
      {
        storage: this.storage,
        lastSeq: () => this.reads.pin(),
        ownersOf: (field, value) => this.reads.ownersOf(field, value),
        ownerOfRecord: (record) => this.reads.ownerOfRecord(record),
      },
      query,
    );
  }

  /**
   * The log in order, as `{ position, record }` (`record` as `getEvent` returns it, every kind), read in pages
   * as the consumer pulls. `after` resumes just past a position; `live: true` keeps waiting for new commits,
   * in a read-only handle of another process too. See docs/api.md and docs/scale-out.md.
   *
   * @example
   * for await (const { position, record } of db.changes({ after: saved, live: true })) {
   *   await forward(record);
   *   saved = position;
   * }
   */
  changes(options: ChangesOptions = {}, probe?: ChangesProbe): AsyncIterable<Change> {
    this.ensureOpen();
    const plan = planChanges(options);
    const storage = this.storage;
    const log = { lastSeq: () => storage.lastSeq(), records: (from: number) => storage.records(from), isOpen: () => !this.closed };
    return { [Symbol.asyncIterator]: () => readChanges(log, plan, probe) };
  }

  /**
   * Exports the log to Parquet or NDJSON files in a directory (with a manifest), or into a ClickHouse table,
   * exactly once across re-runs: each run continues after the last position the target holds. Runs on a
   * read-only handle beside a live writer. See docs/scale-out.md.
   *
   * @example
   * await db.exportTo({ format: 'parquet', out: './export' });
   * await db.exportTo({ to: 'clickhouse', url: 'http://127.0.0.1:8123', table: 'events' });
   */
  async exportTo(options: ExportOptions): Promise<ExportResult> {
    this.ensureOpen();
    // The sinks load their libraries only when used: opening a store stays cheap.
    const { runExport } = await import('./export/run-export.js');
    return runExport((feed) => this.changes(feed), options);
  }

  stats(): Stats {
    this.ensureOpen();
    const lastSeq = this.storage.lastSeq();
    // The totals as last committed (they commit with every batch): a batch still in flight counts nowhere yet.
    const committed = committedCounters(this.storage);
    return {
      records: lastSeq,
      events: committed.events,
      productUpdates: committed.productUpdates,
      products: catalogSize(this.catalogStore),
      feedItems: committed.feedItems,
      productRemovals: committed.productRemovals,
      duplicates: committed.duplicates,
      conflicts: committed.conflicts,
      rejected: committed.rejected,
      quarantined: this.quarantineCount(),
      lastSeq,
      bytesOnDisk: this.storage.bytesOnDisk(),
      profiles: committed.userIds + committed.profileIds - committed.linkedProfileIds,
      accounts: committed.accounts,
      sessions: committed.sessions,
      attributeUpdates: committed.attributeUpdates,
    };
  }

  /**
   * Rebuilds everything derived from the log — dedupe set, indexes, counters,
   * profiles, accounts, sessions, the identity graph and the catalog — in
   * scratch memory, and reports every difference from the stored state, and
   * every gap or undecodable record in the log itself (kind `log`). Reads the
   * whole log.
   */
  async verify(): Promise<VerifyReport> {
    this.ensureOpen();
    await this.settle();
    // Beside a writer, compare with the totals committed with the log this turn reads, not those read at open, and
    // with the writer's tail folded up to that log.
    if (this.options.readOnly) {
      Object.assign(this.counters, committedCounters(this.storage));
      this.reads.pin();
    }
    return verifyStore(this.verifyInput(false)).report;
  }

  /**
   * Like `verify()`, then repairs every difference it found — dedupe and
   * collision entries, index entries, counters, projections and the catalog,
   * missing, extra or different — to what the log implies, in one LMDB
   * transaction (all of it commits, or none). Differences in the log itself
   * (kind `log`) cannot be repaired: the report then says `repaired: false`
   * and lists them in `unrepairable`; everything else is still repaired
   * against the log as it is. Returns the differences that were found.
   */
  async rebuild(): Promise<VerifyReport> {
    this.ensureOpen();
    if (this.options.readOnly) throw errors.readOnly('rebuild');
    await this.settle();
    // The consolidation writes states and closed partials, which a repair rewrites: it waits until the repair is done.
    await this.consolidator.pause();
    // Synchronous from here to the commit: no batch of this writer can interleave, and the reads see what is repaired.
    const result = this.storage.transact(() => {
      const found = verifyStore(this.verifyInput(true));
      found.rewrite?.();
      for (const fix of found.fixes) fix();
      if (found.report.differences.some((d) => d.kind === 'counter') || !sameCounters(found.counters, this.counters)) {
        void this.storage.putCounters(found.counters);
      }
      return found;
    });
    this.afterRepair(result.counters, result.rewrite !== undefined);
    this.consolidator.resume();
    const unrepairable = result.report.differences.filter((d) => d.kind === 'log');
    return { ...result.report, repaired: unrepairable.length === 0, ...(unrepairable.length > 0 ? { unrepairable } : {}) };
  }

  private verifyInput(repair: boolean): VerifyInput {
    return {
      storage: this.storage,
      dedupe: this.dedupe,
      counters: repair ? committedCounters(this.storage) : this.counters,
      placeholders: this.options.placeholderIds,
      computed: this.options.computed,
      catalogStore: this.catalogStore,
      repair,
    };
  }

  /** The writer's in-memory state follows the repaired store: filters only ever grow, counters are replaced, nothing is pending. */
  private afterRepair(counters: Counters, rewritten: boolean): void {
    // A rewrite wrote every eventId into one run: the in-memory tail it included goes (it is not in the run otherwise).
    if (rewritten) this.dedupe.reset();
    this.storage.derived.refillIdentifierFilter();
    this.storage.pending.settle(this.storage.pending.take());
    Object.assign(this.counters, counters);
  }

  /** Waits until no write of this handle is in flight (writes started meanwhile are waited for too). */
  private async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
  }

  /** Waits for writes in flight, then closes; an in-memory store is deleted. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writer.stop();
    await Promise.allSettled(this.inFlight);
    await this.consolidator.close();
    // A clean close leaves nothing to replay at the next open.
    if (!this.options.readOnly && !this.writer.failed && this.internal.checkpointAtClose !== false) await this.writer.checkpoint().catch(() => undefined);
    await this.storage.close(this.writer.failed);
    this.lock?.release();
    if (this.options.inMemory) removeScratchDir(this.storage.path);
  }

  /**
   * @internal Resolves once every closed generation is consolidated and the index runs are merged (the
   * benchmark's reads wait for it, as its SQLite baseline checkpoints its WAL before its reads).
   */
  async consolidated(): Promise<void> {
    this.ensureOpen();
    await this.consolidator.idle();
  }

  /** @internal */
  ensureOpen(): void {
    if (this.closed) throw errors.closed();
  }

  private quarantineCount(): number {
    return this.quarantine.count();
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }
}

/** The totals as last committed: they commit with every batch, so they match the log a read sees. */
function committedCounters(storage: Storage): Counters {
  return { ...emptyCounters(), ...storage.committedCounters() };
}

function sameCounters(a: Counters, b: Counters): boolean {
  return (Object.keys(a) as (keyof Counters)[]).every((name) => a[name] === b[name]);
}

function prepareDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw errors.invalidOptions('path', `cannot use ${path} as a store directory: ${(err as Error).message}`);
  }
}

/** The quarantine of rejected records. */
export interface QuarantineApi {
  /** Rejected records in rejection order, `limit` (default 100) after the id `afterId`. */
  list(options?: { limit?: number; afterId?: number }): QuarantinedRecord[];
  get(id: number): QuarantinedRecord | undefined;
  count(): number;
  /**
   * Ingests a quarantined record again (its stored input, or `fixed` in its
   * place). The entry leaves the quarantine in the same transaction as the
   * record is written (a crash cannot leave both); if rejected again, the
   * record comes back under a new id with its new errors.
   */
  resubmit(id: number, fixed?: unknown): Promise<IngestResult>;
  /** Removes the given ids, or every quarantined record; returns how many went. */
  purge(ids?: readonly number[]): Promise<number>;
}

/** What the quarantine API needs from the database besides the store. */
interface QuarantineDeps {
  /** Ingests `input`, issuing `alsoIssue`'s writes in the same transaction. */
  resubmit(input: unknown, alsoIssue: () => void): Promise<IngestResult>;
  track<T>(work: Promise<T>): Promise<T>;
  readOnly: boolean;
}

function makeQuarantineApi(store: QuarantineStore, db: EventDB, deps: QuarantineDeps): QuarantineApi {
  return {
    list: (options = {}) => {
      db.ensureOpen();
      return store.list({ limit: options.limit ?? 100, afterId: options.afterId ?? 0 });
    },
    get: (id) => {
      db.ensureOpen();
      return store.get(id);
    },
    count: () => {
      db.ensureOpen();
      return store.count();
    },
    resubmit: async (id, fixed) => {
      db.ensureOpen();
      if (deps.readOnly) throw errors.readOnly('quarantine.resubmit');
      const entry = store.get(id);
      if (entry === undefined) throw errors.notFound(`quarantined record ${id}`);
      // Rejected again, the record is quarantined anew with its fresh errors, so the old entry goes either way:
      // its removal is issued first in the batch that writes (or rejects) the record.
      return deps.resubmit(fixed === undefined ? entry.input : fixed, () => {
        // Its outcome is the batch's commit, which the writer awaits.
        store.remove(id).catch(() => undefined);
      });
    },
    purge: async (ids) => {
      db.ensureOpen();
      if (store.readOnly) throw errors.readOnly('quarantine.purge');
      const targets = ids ?? store.ids();
      let removed = 0;
      for (const id of targets) if (store.get(id) !== undefined) removed++;
      await deps.track(Promise.all(targets.map((id) => store.remove(id))));
      return removed;
    },
  };
}
