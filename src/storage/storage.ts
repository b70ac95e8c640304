// The LMDB environment and its named databases; the only module that talks to lmdb.

import './msgpack-strings.js';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { open, type Database, type DatabaseOptions, type Key, type RootDatabase } from 'lmdb';
import { unpack } from 'msgpackr';
import type { Counters } from '../schema/results.js';
import type { RecordTuple } from './record-codec.js';
import type { MergePartial, PartialCodec } from './projection-state.js';
import { IndexKind, indexKeyEncoder, type IndexKey } from './keys.js';
import { EventIndex } from './event-index.js';
import { DedupeRuns } from './dedupe-runs.js';
import { PendingWrites } from './pending-writes.js';
import { CHECKPOINT_KEY, DerivedStore, type SessionIndex } from './derived-store.js';
import { issued } from './issued.js';
import { COMPRESSION_THRESHOLD, DICTIONARY_MIN_RECORDS, sampleDictionary, type Compression } from './dictionary.js';

/**
 * How far the consolidation is: the generations before `generations` are merged into the states whole, and those
 * from it to `until` (exclusive; none when `until` is not past it) are being merged as one group, key by key (a key's
 * partials in all of them move with its state in one transaction); `started` once any state was written.
 */
export interface Consolidation {
  generations: number;
  started: boolean;
  until: number;
}

/**
 * Lets a process exit wait for a thread's write transaction. A worker thread terminated inside `transactionSync`
 * (Node ends workers at `process.exit`) never releases lmdb-js's write lock, and its environment's cleanup then
 * takes that lock again on the same thread: the exit hangs. `enter` returns false once the exit has begun (no
 * transaction starts), `leave` says the transaction is over.
 */
export interface TransactionGate {
  enter(): boolean;
  leave(): void;
}

/** Storage options, passed explicitly where the environment is opened. */
export interface StorageOptions {
  path: string;
  mapSizeBytes: number;
  /** Throw-away stores skip fsync: they vanish on close anyway. */
  noSync: boolean;
  /** Opened beside a writer: LMDB read-only, and no in-memory filter may answer "absent" (the writer adds behind it). */
  readOnly?: boolean;
  /** Entries a merged dedupe run may reach (tests make merges stop at the limit within a small store). */
  dedupeMergeEntries?: number;
  /** How partial states are written (the projections layer knows their shape). */
  partialCodec: PartialCodec;
  /**
   * How a window's delta joins its stored partial (see `ProjectionStore.putDelta`), and a stored value's deltas one
   * another (format 16): every handle that reads partial states needs it.
   */
  mergePartial?: MergePartial;
  /**
   * Records per generation of a new store, as a power of two (tests make generations close within a small store);
   * kept in the store, and 18 for a store written before it was (see `generationBits`).
   */
  generationBits?: number;
  /**
   * Sample a compression dictionary for the log once it holds enough records, and one for the states when the
   * consolidation first writes them, when the store has none (see `EventDBOptions.compression`, resolved; both
   * when not given).
   */
  compression?: Compression;
}

/**
 * The on-disk format: 16 appends each checkpoint's delta of a key to its partial's value, several encoded partials
 * back to back that a read merges (an older version would read the first alone, or fail on the bytes after it); 15 keeps no identifier entry for a session (the event index's sessionId keys say which
 * sessions were seen: an older version would take every session it asks about as new, and count it again); 14 keeps no state for a session (a read folds its events from the log; an older version would
 * read a session's state and partials, which no checkpoint writes any more); 13 may end a generation before its
 * 2^bits boundary, at a checkpoint of a quiet writer
 * (`meta.generationStarts`: an older version would fold the records after it into the generation before, which the
 * consolidation may already have merged, and read the wrong generations); 12 keeps the sessions of a state and of a
 * user state beside it (`session-sets`) and only their count in it (an older version would count none of them), and
 * a user state only while it was merged for the user's members as stored, so that a read takes the members from it (an older consolidation could write one for members a
 * checkpoint had just changed: the upgrade removes those); 11 may LZ4-compress log records with the store's dictionary (`meta.logDictionary`: a reader of
 * format 10 would take a compressed record for msgpack) and packs index chunks as varint steps (posting-chunk.ts: it
 * would read them as fixed-size pairs); 10 merges the closed generations waiting in groups and keeps a group's end in
 * `meta.consolidated` (an older version would take a group's first generation alone as the one in progress, and its
 * verify would name the keys moved with their later partials); 9 keeps a user's merged state (`user-states`, written by the consolidation and removed by a
 * checkpoint that changes the user's members: an older version would consolidate without rewriting them, and a
 * read would take a stale one); 8 keeps a user's profileIds in one entry (`user-members`, the pairs of `members` moved there
 * at the first writer open: an older version would find no members); 7 merges dedupe runs in the consolidation, with blocked filters and a version entry in
 * `dedupe-filters` (key 0) that readers follow, and drops the segment filters (an older version would read the
 * version entry as a run); 6 merges index runs in the consolidation and keeps a version entry in `posting-runs` (key 0)
 * that readers follow (an older version would read it as a run); 5 writes the secondary indexes as one run per checkpoint (`posting-blocks`, `posting-runs`:
 * an older version would read the chunks alone; a format-4 store's chunks stay readable beside the runs); 4
 * merges closed generations' partial states into one state per key in the background (`states`, and
 * `meta.consolidated`: an older version would read the generations alone and miss what moved); 3 writes partial
 * states as positional arrays (a format-2 store's partials, msgpack records, stay readable beside them); 2 keeps
 * projections in memory between checkpoints; 1 wrote them with every batch. Formats 1 to 15 open as format 16 (their
 * sessions' identifier entries left in place, read by nothing, until a rebuild; their sessions' partials and states removed; 2
 * and 3 with nothing consolidated yet; 6's segment filters removed; the members moved; no user states until the
 * consolidation writes them; 9's generation in progress finished alone; 10's log plain until a write call samples a dictionary; 10's index chunks of fixed-size pairs read beside the packed ones; 11's states, which
 * list their sessions, read as they are until the consolidation rewrites them; user states merged for other members
 * than the stored ones removed).
 */
const STORE_FORMAT = 16;
/** The log's compression dictionary (a Buffer): written once, by the write call that samples it, and never changed. */
const LOG_DICTIONARY_KEY = 'logDictionary';
const FORMAT_KEY = 'format';
/**
 * [generations merged into `states` whole, 1 once any state was written, the end of the group being merged] (absent:
 * nothing consolidated; without the third element, as format 9 wrote it, the group is the first generation alone).
 */
const CONSOLIDATED_KEY = 'consolidated';
const NOT_CONSOLIDATED: Consolidation = { generations: 0, started: false, until: 0 };
/** Records per generation as a power of two, when not the default. */
const GENERATION_BITS_KEY = 'generationBits';
/** 2^18 records per generation. */
const DEFAULT_GENERATION_BITS = 18;
/**
 * The seqs at which a generation started before its 2^bits boundary, ascending (absent: none). A checkpoint of a
 * quiet writer (idle, close, repair) ends its generation there when it holds enough records (`endGenerationEarly`).
 */
const GENERATION_STARTS_KEY = 'generationStarts';
/** A generation ends early only once it holds 2^(bits - 4) records: at most 16 of them per 2^bits. */
const EARLY_END_SHIFT = 4;
const COUNTERS_KEY = 'counters';
const CATALOG_FORMAT_KEY = 'catalogFormat';

// lmdb-js's transaction flags (TransactionFlags in its typings, not exported as values).
const ABORTABLE = 1;
const SYNCHRONOUS_COMMIT = 2;
const NO_SYNC_FLUSH = 0x10000;

/** LMDB's meta pages (the first two) each carry this magic number at byte 24. */
const LMDB_MAGIC = 0xbeefc0de;
const META_MAGIC_OFFSET = 24;
const PAGE_SIZE = 4096;

/**
 * Refuses a data file that is not an LMDB environment (truncated, overwritten, another format) with a clear
 * error, before LMDB maps it: LMDB trusts its meta pages, and garbage there crashes the process.
 */
function checkDataFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw errors.corruptStore(file, `it cannot be read (${(err as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const meta = Buffer.alloc(PAGE_SIZE + META_MAGIC_OFFSET + 4);
    const read = readSync(fd, meta, 0, meta.length, 0);
    const magicAt = (offset: number): number => (read >= offset + 4 ? meta.readUInt32LE(offset) : 0);
    if (size < 2 * PAGE_SIZE || magicAt(META_MAGIC_OFFSET) !== LMDB_MAGIC || magicAt(PAGE_SIZE + META_MAGIC_OFFSET) !== LMDB_MAGIC) {
      throw errors.corruptStore(file, 'it is not an LMDB data file (its meta pages are missing or damaged)');
    }
  } finally {
    closeSync(fd);
  }
}

function entryCount(db: { getStats(): unknown }): number {
  return (db.getStats() as { entryCount: number }).entryCount;
}

/**
 * The databases of one store:
 * - `log`: seq → record tuple (msgpack, shared structures), append-only;
 * - `dedupe-runs`, `dedupe-filters`: sorted runs of (xxhash64, seq), one per checkpoint until the consolidation
 *   merges them, with their Bloom filters and a version entry (DedupeRuns); `dedupe-segments` held format 6's
 *   filters over whole runs;
 * - `collisions`: eventId → seq, for the astronomically rare eventIds whose hash is taken;
 * - `posting-blocks`, `posting-runs`: the secondary indexes (EventIndex): one sorted run of every key's (time, seq)
 *   pairs per checkpoint, in blocks, with each run's filter and fences (PostingRuns); `postings` holds the chunks
 *   (one per key and checkpoint) that format 4 and older wrote instead;
 * - `quarantine`: id → rejected input with its errors;
 * - `meta`: counters, the checkpoint's position, the early generation starts and format markers (private: read and
 *   written through methods);
 * - `partials`, `states`, `links`, `user-members`, `identifiers`: the projections as of the last checkpoint (see
 *   DerivedStore); `meta.consolidated` says how many generations of `partials` were merged into `states`;
 * - the catalog's trees, opened by CatalogStore through `openTree`.
 */
export class Storage {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly root: RootDatabase;
  /**
   * The log. Once the store has a dictionary, this handle compresses what it writes with it (a record of at least
   * `COMPRESSION_THRESHOLD` bytes) and decompresses what it reads; a record written before stays plain and reads the
   * same through it (a compressed value starts with a byte msgpack never starts an array with).
   */
  private log: Database<RecordTuple, number>;
  /** Whether `log` holds the store's dictionary (false: the store has none, as far as this handle has seen). */
  private logCompressed = false;
  /** Whether the writer samples a dictionary for the log when the store has none. */
  private readonly compressLog: boolean;
  /** The writer samples a dictionary once the log reaches this position (after a sample too small, again later). */
  private sampleFrom = DICTIONARY_MIN_RECORDS;
  /** Format 1's dedupe tree ([generation u16][xxhash64] → seq), kept only to be moved into a run by the upgrade. */
  private readonly legacyDedupe: Database<number, Buffer>;
  readonly dedupeRuns: DedupeRuns;
  private readonly collisions: Database<number, string>;
  /** Format 1's per-entry index, kept only to be emptied by the upgrade to format 2. */
  private readonly legacyIndex: Database<Buffer, IndexKey>;
  /** The secondary indexes: posting lists in memory after the last checkpoint, chunks in LMDB before. */
  readonly index: EventIndex;
  readonly quarantine: Database<unknown, number>;
  /** Counters, the checkpoint's position and format markers: read and written through the methods below. */
  private readonly meta: Database<unknown, string>;
  /** Profiles, accounts, sessions and the identity graph: in memory after the last checkpoint, in LMDB before. */
  readonly derived: DerivedStore;

  constructor(options: StorageOptions) {
    this.path = options.path;
    checkDataFile(join(options.path, 'data.mdb'));
    this.root = open({
      path: options.path,
      maxDbs: 32,
      mapSize: options.mapSizeBytes,
      compression: false,
      noSync: options.noSync,
      overlappingSync: !options.noSync,
      pageSize: 4096,
      readOnly: options.readOnly === true,
    });
    this.readOnly = options.readOnly === true;
    const compression = options.compression ?? { log: true, states: true };
    this.compressLog = compression.log;
    this.meta = this.root.openDB({ name: 'meta' });
    this.log = this.openLog(undefined);
    this.syncLogDictionary();
    this.legacyDedupe = this.root.openDB({ name: 'dedupe', keyEncoding: 'binary' });
    this.dedupeRuns = new DedupeRuns(this.root, options.dedupeMergeEntries);
    this.collisions = this.root.openDB({ name: 'collisions' });
    this.legacyIndex = this.root.openDB({ name: 'index', encoding: 'binary', keyEncoder: indexKeyEncoder } as { name: string });
    this.index = new EventIndex(this.root);
    this.quarantine = this.root.openDB({ name: 'quarantine' });
    const sessions: SessionIndex = {
      seen: (id, position) => this.index.has(IndexKind.sessionId, id, position, this.checkpointPosition()),
      all: () => this.index.values(IndexKind.sessionId),
    };
    this.derived = new DerivedStore(this.root, this.readOnly, options.partialCodec, sessions, compression.states, options.mergePartial);
    const format = this.meta.get(FORMAT_KEY);
    this.derived.userStatesCurrent = typeof format === 'number' && format >= 12;
    const bits = this.meta.get(GENERATION_BITS_KEY);
    this.generationBits =
      typeof bits === 'number' ? bits : this.lastSeq() === 0 ? (options.generationBits ?? DEFAULT_GENERATION_BITS) : DEFAULT_GENERATION_BITS;
    this.syncGenerationStarts();
  }

  /**
   * Records are grouped into generations of at most 2^bits sequence numbers (a quiet writer's checkpoint may end
   * one early: `endGenerationEarly`); a partial state's key starts with its generation. A generation is closed once
   * a checkpoint covers its last record: nothing writes its partials again, and the consolidation merges them into
   * `states`.
   */
  readonly generationBits: number;

  /**
   * The seqs where a generation started before its 2^bits boundary (`GENERATION_STARTS_KEY`), as this handle last
   * read or wrote them. Each is a checkpoint's position + 1, written with it, so it changes the generation of no
   * record a snapshot holding the list lacked: a handle that reads the list late (a read-only handle, the
   * consolidation's worker) numbers the generations of what it has seen as the writer did.
   */
  private generationStarts: readonly number[] = [];

  /**
   * Rereads the early generation starts as the current snapshot holds them: what the writer's own handle holds
   * already, and what another thread's or process's handle learns late.
   */
  syncGenerationStarts(): void {
    this.generationStarts = (this.meta.get(GENERATION_STARTS_KEY) as number[] | undefined) ?? [];
  }

  /**
   * A seq's generation: every 2^bits seqs start one, and so does each early start at or before it. A partial
   * state's key starts with its generation.
   */
  generationOf(seq: number): number {
    const starts = this.generationStarts;
    let early = 0;
    for (let high = starts.length; early < high;) {
      const mid = (early + high) >>> 1;
      if (starts[mid]! <= seq) early = mid + 1;
      else high = mid;
    }
    return Math.floor(seq / 2 ** this.generationBits) + early;
  }

  /**
   * Issues, with the checkpoint being staged at `position` (the log's end) of a quiet writer, the end of the
   * generation holding `position` there, when it holds at least 2^(bits - 4) records and does not end there
   * already: the consolidation then merges it while the writer is quiet, and reads skip its partials. Returns the
   * new start for `startGeneration` once the transaction has committed, or undefined.
   */
  endGenerationEarly(position: number): number | undefined {
    const next = position + 1;
    if (this.generationOf(next) !== this.generationOf(position)) return undefined;
    const size = 2 ** this.generationBits;
    const start = Math.max(Math.floor(position / size) * size, this.generationStarts.at(-1) ?? 0);
    if (next - start < Math.max(1, size >> EARLY_END_SHIFT)) return undefined;
    issued(this.meta.put(GENERATION_STARTS_KEY, [...this.generationStarts, next]));
    return next;
  }

  /** Records from `seq` on go to a new generation: its start committed (see `endGenerationEarly`). */
  startGeneration(seq: number): void {
    const last = this.generationStarts.at(-1) ?? 0;
    if (seq <= last) throw new Error(`eventdb internal invariant broken: a generation start at ${seq} after ${last}`);
    this.generationStarts = [...this.generationStarts, seq];
  }

  /**
   * How far the consolidation is: `generations` are merged into `states` whole (reads skip their partials),
   * `started` once any state was written (the group's partials may be in the states in part), and the group's end.
   */
  consolidation(): Readonly<Consolidation> {
    // Every view's read asks (a `getProfile` too), and the progress changes once per chunk the consolidation moves:
    // the stored bytes are compared with the last ones decoded instead of decoded again.
    const value = this.meta.getBinaryFast(CONSOLIDATED_KEY);
    if (value === undefined) return NOT_CONSOLIDATED;
    // lmdb-js returns its shared buffer with `length` set to the value's: a view of exactly the value.
    const bytes = value.subarray(0, value.length);
    const last = this.lastConsolidation;
    if (last !== undefined && last.bytes.equals(bytes)) return last.progress;
    const copy = Buffer.from(bytes);
    // An array of numbers: the same bytes in plain msgpack whatever the tree's encoder options, so no handle is needed.
    const [generations, started, until] = unpack(copy) as [number, number, number?];
    const progress = Object.freeze({ generations, started: started === 1, until: until ?? generations + 1 });
    this.lastConsolidation = { bytes: copy, progress };
    return progress;
  }

  consolidatedGenerations(): number {
    return this.consolidation().generations;
  }

  /** Issues the consolidation's progress with the transaction being staged (`until`: the end of the group being merged, if any). */
  putConsolidation(generations: number, started: boolean, until = generations): void {
    issued(this.meta.put(CONSOLIDATED_KEY, [generations, started ? 1 : 0, until]));
  }

  /** Starts this thread's next read at the last committed transaction (the consolidation reads what the writer committed). */
  refreshSnapshot(): void {
    this.root.resetReadTxn();
    this.syncGenerationStarts();
  }

  /** The writer's last committed seq (see `lastSeq`); undefined in a read-only handle. */
  private appended: number | undefined;
  /** The consolidation's progress as `consolidation()` last decoded it, with its stored bytes. */
  private lastConsolidation: { bytes: Buffer; progress: Readonly<Consolidation> } | undefined;

  /** Catalog writes not yet committed (the writer reads its own writes through it). */
  readonly pending = new PendingWrites();

  /** The counters as of the last commit (undefined in a new store). */
  committedCounters(): Partial<Counters> | undefined {
    return this.meta.get(COUNTERS_KEY) as Partial<Counters> | undefined;
  }

  /** Issues the counters with the transaction being staged. */
  putCounters(counters: Readonly<Counters>): void {
    issued(this.meta.put(COUNTERS_KEY, { ...counters }));
  }

  /** The catalog trees' format marker (see catalog-api.ts). */
  catalogFormat(): unknown {
    return this.meta.get(CATALOG_FORMAT_KEY);
  }

  /** Issues the catalog trees' format marker with the transaction being staged. */
  putCatalogFormat(format: number): void {
    issued(this.meta.put(CATALOG_FORMAT_KEY, format));
  }

  /** The log position the projections stored in LMDB reflect (see DerivedStore). */
  checkpointPosition(): number {
    return (this.meta.get(CHECKPOINT_KEY) as number | undefined) ?? 0;
  }

  /** Issues the checkpoint's position with the transaction being staged. */
  writeCheckpointPosition(position: number): void {
    issued(this.meta.put(CHECKPOINT_KEY, position));
  }

  /** Throws when the store was written in a format newer than this version reads (a writer's open, a reader's). */
  refuseNewerFormat(): void {
    const format = this.meta.get(FORMAT_KEY) as number | undefined;
    if (format !== undefined && format > STORE_FORMAT) {
      throw errors.corruptStore(
        join(this.path, 'data.mdb'),
        `it was written in store format ${format}, newer than this version of eventdb reads (${STORE_FORMAT}); open it with the version that wrote it`,
      );
    }
  }

  /**
   * Marks the store's format at a writer's open. A store written before checkpoints existed (format 1) wrote
   * its projections with every batch: its checkpoint is its last record, so it opens with nothing to replay.
   */
  upgradeFormat(): { fromFormat1: boolean } {
    const format = this.meta.get(FORMAT_KEY) as number | undefined;
    if (format === STORE_FORMAT) return { fromFormat1: false };
    this.refuseNewerFormat();
    if (format !== undefined && format >= 2) {
      this.root.transactionSync(() => {
        if (format <= 6) this.dedupeRuns.dropSegments();
        // Format 12 differs only in the early generation starts, which it has none of.
        if (format < 12) {
          this.derived.upgradeMembers();
          this.derived.dropStaleUserStates();
        }
        if (format < 14) this.derived.dropSessionStates(this.generationOf(this.lastSeq()));
        this.meta.putSync(FORMAT_KEY, STORE_FORMAT);
      });
      this.derived.userStatesCurrent = true;
      return { fromFormat1: false };
    }
    const lastSeq = this.lastSeq();
    this.root.transactionSync(() => {
      if (this.meta.get(CHECKPOINT_KEY) === undefined) this.meta.putSync(CHECKPOINT_KEY, lastSeq);
      if (lastSeq === 0 && this.generationBits !== DEFAULT_GENERATION_BITS) this.meta.putSync(GENERATION_BITS_KEY, this.generationBits);
      this.derived.upgradeMembers();
      this.derived.dropSessionStates(this.generationOf(lastSeq));
      this.meta.putSync(FORMAT_KEY, STORE_FORMAT);
    });
    this.derived.userStatesCurrent = true;
    // Format 1 kept one index entry per event and key: the chunks are built from the log instead (the caller
    // replays it into the index and checkpoints), and the old entries go.
    const legacy = entryCount(this.legacyIndex) > 0;
    if (legacy) issued(this.legacyIndex.clearAsync());
    return { fromFormat1: lastSeq > 0 };
  }

  /** Resolves when every write issued so far is committed (not necessarily flushed). */
  get committed(): Promise<void> {
    return this.root.committed as unknown as Promise<void>;
  }

  // Writes: inside a write call's stage (run by `transact`) they are applied in its transaction at once; elsewhere they
  // are asynchronous, and all of them issued in one event turn commit in one transaction.

  putRecord(seq: number, tuple: RecordTuple): void {
    issued(this.log.put(seq, tuple));
  }

  private openLog(dictionary: Buffer | undefined): Database<RecordTuple, number> {
    const options = { name: 'log', sharedStructuresKey: Symbol.for('structures') };
    return this.root.openDB(dictionary === undefined ? options : { ...options, compression: { threshold: COMPRESSION_THRESHOLD, dictionary } });
  }

  /**
   * The log handle for a read: a handle that is not the writer's (a read-only handle, whose writer may sample the
   * dictionary at any checkpoint) looks for the dictionary first while it has none — in the snapshot the read then
   * takes, so a record it reads was written after the dictionary only if it holds it.
   */
  private logForRead(): Database<RecordTuple, number> {
    if (!this.logCompressed && this.appended === undefined) this.syncLogDictionary();
    return this.log;
  }

  private syncLogDictionary(): void {
    const dictionary = this.meta.get(LOG_DICTIONARY_KEY) as Uint8Array | undefined;
    if (dictionary === undefined) return;
    this.log = this.openLog(Buffer.from(dictionary));
    this.logCompressed = true;
  }

  /**
   * In a write call's stage, once its records are issued: when the store has no dictionary yet and its log holds
   * enough records, samples one from its latest records and issues it with the transaction being staged; the records
   * of later calls are compressed (this call's are written already, plain). The dictionary commits with the call or
   * not at all, and a failed commit leaves the writer refusing writes until the store is reopened.
   */
  sampleLogDictionary(position: number): void {
    if (this.logCompressed || !this.compressLog || position < this.sampleFrom) return;
    this.sampleFrom = position + DICTIONARY_MIN_RECORDS;
    const seqs: number[] = [];
    for (const key of this.log.getKeys({ start: Math.max(1, position - 4 * DICTIONARY_MIN_RECORDS + 1), end: position + 1 })) seqs.push(key);
    const dictionary = sampleDictionary(seqs, (seq) => this.log.getBinary(seq));
    if (dictionary === undefined) return;
    issued(this.meta.put(LOG_DICTIONARY_KEY, dictionary));
    this.log = this.openLog(dictionary);
    this.logCompressed = true;
  }

  putCollision(eventId: string, seq: number): void {
    issued(this.collisions.put(eventId, seq));
  }

  // Reads see the last committed state.

  getRecord(seq: number): RecordTuple | undefined {
    return this.logForRead().get(seq);
  }

  /** A reader of records up to `position` for one scan, which reads ahead by ranges once the scan goes seq by seq. */
  recordReader(position: number): RecordReader {
    return new RecordReader(this.logForRead(), position);
  }

  getCollision(eventId: string): number | undefined {
    return this.collisions.get(eventId);
  }

  /**
   * The log's last seq in the current read snapshot. In the writer's handle that is the last seq it committed —
   * it alone appends, and each call commits synchronously, so no snapshot it reads from is behind or ahead of
   * it — and every read pins it, so it comes from memory: a cursor for it cost 0.4–1 µs, and up to 5 µs in a
   * process with a large heap, where its garbage made every scavenge slower. A read-only handle reads the log.
   */
  lastSeq(): number {
    if (this.appended !== undefined) return this.appended;
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }

  /** The writer's log ends at `seq`, committed: set at its open and after each commit (never in a read-only handle). */
  appendedThrough(seq: number): void {
    this.appended = seq;
  }

  /** The log from `fromSeq`, lazily: the handle and the snapshot are taken at the first step. */
  *records(fromSeq = 1): Iterable<{ key: number; value: RecordTuple }> {
    yield* this.logForRead().getRange({ start: fromSeq });
  }

  /** A format-1 store's dedupe entries as (hash, seq), for the upgrade. */
  *legacyDedupeEntries(): Iterable<{ hash: bigint; seq: number }> {
    for (const { key, value } of this.legacyDedupe.getRange()) yield { hash: key.readBigUInt64BE(2), seq: value };
  }

  /** Issues the removal of a format-1 store's dedupe entries with the transaction being staged (the upgrade's checkpoint, which writes them as a run). */
  clearLegacyDedupe(): void {
    for (const key of this.legacyDedupe.getKeys()) issued(this.legacyDedupe.remove(key));
  }

  collisionEntries(): Iterable<{ key: string; value: number }> {
    return this.collisions.getRange();
  }

  collisionCount(): number {
    return entryCount(this.collisions);
  }

  counts(): { records: number } {
    return { records: entryCount(this.log) };
  }

  // Repairs by rebuild (src/query/verify.ts): run inside `transact`, where every write lands in one transaction.

  /**
   * Runs `fn` in one synchronous LMDB write transaction, committed before this returns: every put and remove it
   * issues (async ones included) is applied in this thread at once, and they commit together, or none does when it
   * throws (or the commit fails). Reads inside see the transaction's own writes. Writes issued earlier and not yet
   * committed commit first, on their own. Each write call's stage runs here (lmdb-js's asynchronous puts queue
   * every write for its write thread, which measured at about 40% of ingest's CPU). `durable`: flushed to disk
   * before returning; otherwise the flush is left to the operating system and the next durable commit.
   */
  transact<T>(fn: () => T, durable = true): T {
    const flags = durable ? ABORTABLE | SYNCHRONOUS_COMMIT : ABORTABLE | SYNCHRONOUS_COMMIT | NO_SYNC_FLUSH;
    const gate = this.gate;
    if (gate === undefined) return this.root.transactionSync(() => this.dedupeRuns.holding(fn), flags);
    if (!gate.enter()) throw new Error('eventdb: the process is exiting, no transaction starts');
    try {
      return this.root.transactionSync(() => this.dedupeRuns.holding(fn), flags);
    } finally {
      gate.leave();
    }
  }

  /**
   * Asked around each write transaction of a thread that may be terminated (the consolidation's worker): see
   * `TransactionGate`.
   */
  gate: TransactionGate | undefined;

  /** The id of the last committed LMDB transaction (tests count commits with it). */
  lastTxnId(): number {
    return (this.root.getStats() as { lastTxnId: number }).lastTxnId;
  }

  /** The first log key at or after `seq` (to step past a record that cannot be decoded). */
  firstLogKeyFrom(seq: number): number | undefined {
    for (const key of this.log.getKeys({ start: seq, limit: 1 })) return key;
    return undefined;
  }

  removeCollision(eventId: string): void {
    issued(this.collisions.remove(eventId));
  }

  /** Removes every collision entry (a rebuild writes the dedupe set anew). */
  clearCollisions(): void {
    for (const key of this.collisions.getKeys()) issued(this.collisions.remove(key));
  }

  /**
   * Opens a named database of this environment for a storage module that owns
   * its trees (the catalog store); `maxDbs` leaves room for a few.
   */
  openTree<V = unknown, K extends Key = Key>(name: string, options: DatabaseOptions = {}): Database<V, K> {
    return this.root.openDB<V, K>({ ...options, name });
  }

  bytesOnDisk(): number {
    let bytes = 0;
    for (const file of ['data.mdb', 'lock.mdb']) {
      try {
        bytes += statSync(join(this.path, file)).size;
      } catch {
        // A missing lock file is not an error.
      }
    }
    return bytes;
  }

  /**
   * Closes the environment. After a failed commit lmdb-js may never settle its outstanding writes, so `abandon`
   * waits at most `ABANDON_AFTER_MS` for them: the committed data on disk is intact either way, and the process
   * must not hang in close.
   */
  async close(abandon = false): Promise<void> {
    if (!abandon) {
      await this.root.close();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ABANDON_AFTER_MS);
    });
    await Promise.race([this.root.close().catch(() => undefined), waited]);
    clearTimeout(timer);
  }
}

/** How long `close` waits for lmdb-js to settle the writes of an environment whose commit failed. */
const ABANDON_AFTER_MS = 1_000;

/** Records read ahead at first, once a scan asks for consecutive seqs; doubled while it keeps doing so. */
const READ_AHEAD_MIN = 16;
const READ_AHEAD_MAX = 512;
/** Seqs in a row (each the one after the last) before reading ahead: a pair of neighbours happens by chance. */
const READ_AHEAD_STREAK = 2;

/**
 * Reads records for one scan (`events()`). A profile whose events were written together asks for consecutive seqs;
 * one cursor over a range costs about a quarter less per record than a get each, so after three consecutive seqs it
 * reads the next ones ahead in a range (16, doubling up to 512 while the scan keeps asking in order), and falls back
 * to single gets on the first seq out of order. Records up to `position` never change, so what it read ahead stays
 * valid for the whole scan, whatever the snapshot of a later read.
 */
export class RecordReader {
  private ahead: (RecordTuple | undefined)[] = [];
  private aheadFrom = 0;
  private last = -1;
  /** Consecutive seqs asked in a row, ending at `last`. */
  private streak = 0;
  private span = 0;

  constructor(
    private readonly log: Database<RecordTuple, number>,
    private readonly position: number,
  ) {}

  get(seq: number): RecordTuple | undefined {
    const index = seq - this.aheadFrom;
    this.streak = seq === this.last + 1 ? this.streak + 1 : 0;
    this.last = seq;
    if (index >= 0 && index < this.ahead.length) return this.ahead[index];
    if (this.streak < READ_AHEAD_STREAK || seq > this.position) {
      this.span = 0;
      return this.log.get(seq);
    }
    this.span = Math.min(READ_AHEAD_MAX, Math.max(READ_AHEAD_MIN, this.span * 2));
    const end = Math.min(this.position, seq + this.span - 1);
    this.ahead = new Array<RecordTuple | undefined>(end - seq + 1);
    this.aheadFrom = seq;
    for (const { key, value } of this.log.getRange({ start: seq, end: end + 1 })) this.ahead[key - seq] = value;
    return this.ahead[0];
  }

  /**
   * The records of `seqs` (ascending, all at most the position), each handed to `visit`: a run of consecutive seqs
   * in one range read of exactly its records, others one by one. For a read that knows every seq it wants (a
   * session's events), where reading ahead would decode records past its last.
   */
  each(seqs: readonly number[], visit: (seq: number, tuple: RecordTuple) => void): void {
    for (let i = 0; i < seqs.length;) {
      let end = i + 1;
      while (end < seqs.length && seqs[end] === seqs[end - 1]! + 1) end++;
      if (end - i >= READ_AHEAD_STREAK + 1) {
        for (const { key, value } of this.log.getRange({ start: seqs[i]!, end: seqs[end - 1]! + 1 })) visit(key, value);
      } else {
        for (let at = i; at < end; at++) {
          const tuple = this.log.get(seqs[at]!);
          if (tuple !== undefined) visit(seqs[at]!, tuple);
        }
      }
      i = end;
    }
  }
}
