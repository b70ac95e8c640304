// The LMDB environment and its named databases; the only module that talks to lmdb.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { open, type Database, type DatabaseOptions, type Key, type RootDatabase } from 'lmdb';
import type { RecordTuple } from './record-codec.js';
import { indexKeyEncoder, type IndexBound, type IndexKey } from './keys.js';
import { Pending, PendingWrites } from './pending-writes.js';
import { issued } from './issued.js';
import { IdentifierFilter } from './identifier-filter.js';
import type { Link, PartialKey, PartialKindCode, ProjectionStore } from './projection-state.js';

/** Storage options, passed explicitly where the environment is opened. */
export interface StorageOptions {
  path: string;
  mapSizeBytes: number;
  /** Throw-away stores skip fsync: they vanish on close anyway. */
  noSync: boolean;
  /** Opened beside a writer: LMDB read-only, and no in-memory filter may answer "absent" (the writer adds behind it). */
  readOnly?: boolean;
}

const EMPTY = Buffer.alloc(0);

/** `[gen, kind, id]` as text: generation in 4 base-36 digits (so keys group by generation), the kind digit, the id. */
function partialKeyText(key: PartialKey): string {
  return `${key[0].toString(36).padStart(4, '0')}${key[1]}${key[2]}`;
}

function parsePartialKey(text: string): PartialKey {
  return [Number.parseInt(text.slice(0, 4), 36), Number(text[4]) as PartialKindCode, text.slice(5)];
}

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
 * - `dedupe`: [generation u16][xxhash64 u64] → seq of the first record with that eventId;
 * - `collisions`: eventId → seq, for the astronomically rare eventIds whose hash is taken;
 * - `index`: [generation, kind, value, time, seq] → empty, the secondary indexes;
 * - `quarantine`: id → rejected input with its errors;
 * - `meta`: counters and format version;
 * - `partials`: [generation, kind, id] → partial state of an identifier, session or account;
 * - `links`: profileId → its earliest link to a userId;
 * - `members`: [userId, profileId] → empty, the profileIds homed at a userId;
 * - `identifiers`: [kind, id] → 1, every identifier, session and account seen;
 * - the catalog's trees, opened by CatalogStore through `openTree`.
 */
export class Storage implements ProjectionStore {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly root: RootDatabase;
  private readonly log: Database<RecordTuple, number>;
  private readonly dedupe: Database<number, Buffer>;
  private readonly collisions: Database<number, string>;
  private readonly index: Database<Buffer, IndexKey>;
  readonly quarantine: Database<unknown, number>;
  readonly meta: Database<unknown, string>;
  private readonly partials: Database<unknown, string>;
  private readonly links: Database<Link, string>;
  private readonly members: Database<Buffer, [string, string]>;
  private readonly identifiers: Database<number, string>;

  constructor(options: StorageOptions) {
    this.path = options.path;
    checkDataFile(join(options.path, 'data.mdb'));
    this.root = open({
      path: options.path,
      maxDbs: 20,
      mapSize: options.mapSizeBytes,
      compression: false,
      noSync: options.noSync,
      overlappingSync: !options.noSync,
      pageSize: 4096,
      readOnly: options.readOnly === true,
    });
    this.readOnly = options.readOnly === true;
    this.log = this.root.openDB({ name: 'log', sharedStructuresKey: Symbol.for('structures') });
    this.dedupe = this.root.openDB({ name: 'dedupe', keyEncoding: 'binary' });
    this.collisions = this.root.openDB({ name: 'collisions' });
    this.index = this.root.openDB({ name: 'index', encoding: 'binary', keyEncoder: indexKeyEncoder } as { name: string });
    this.quarantine = this.root.openDB({ name: 'quarantine' });
    this.meta = this.root.openDB({ name: 'meta' });
    this.partials = this.root.openDB({ name: 'partials', sharedStructuresKey: Symbol.for('structures') });
    this.links = this.root.openDB({ name: 'links', sharedStructuresKey: Symbol.for('structures') });
    this.members = this.root.openDB({ name: 'members', encoding: 'binary' });
    this.identifiers = this.root.openDB({ name: 'identifiers' });
  }

  /** Projection writes not yet committed (the writer reads its own writes through it). */
  readonly pending = new PendingWrites();
  private readonly identifierFilter = new IdentifierFilter();

  // Projections (see ProjectionStore).

  getPartial(key: PartialKey): unknown {
    const text = partialKeyText(key);
    const pending = this.pending.get(Pending.partial, text);
    return pending !== undefined ? pending : this.partials.get(text);
  }

  /** A partial state as last committed (for readers: never an uncommitted write). */
  getCommittedPartial(key: PartialKey): unknown {
    return this.partials.get(partialKeyText(key));
  }

  putPartial(key: PartialKey, value: unknown): void {
    const text = partialKeyText(key);
    this.pending.set(Pending.partial, text, value);
    issued(this.partials.put(text, value));
  }

  getLink(profileId: string): Link | undefined {
    const pending = this.pending.get(Pending.link, profileId) as Link | undefined;
    return pending !== undefined ? pending : this.links.get(profileId);
  }

  /** A link as last committed (for readers). */
  getCommittedLink(profileId: string): Link | undefined {
    return this.links.get(profileId);
  }

  putLink(profileId: string, link: Link): void {
    this.pending.set(Pending.link, profileId, link);
    issued(this.links.put(profileId, link));
  }

  addMember(userId: string, profileId: string): void {
    issued(this.members.put([userId, profileId], EMPTY));
  }

  removeMember(userId: string, profileId: string): void {
    issued(this.members.remove([userId, profileId]));
  }

  hasIdentifier(kind: PartialKindCode, id: string): boolean {
    return this.identifierSeen(`${kind}${id}`, true);
  }

  /** Whether an identifier is committed (for readers; the filter only ever rules ids out). */
  hasCommittedIdentifier(kind: PartialKindCode, id: string): boolean {
    return this.identifierSeen(`${kind}${id}`, false);
  }

  /** The filter rules most new ids out (not beside a writer: it would miss the writer's later ids), then LMDB answers. */
  private identifierSeen(text: string, withPending: boolean): boolean {
    if (!this.readOnly && !this.identifierFilter.mightContain(text)) return false;
    return (withPending && this.pending.has(Pending.identifier, text)) || this.identifiers.get(text) !== undefined;
  }

  addIdentifier(kind: PartialKindCode, id: string): void {
    const text = `${kind}${id}`;
    this.identifierFilter.add(text);
    this.pending.set(Pending.identifier, text, 1);
    issued(this.identifiers.put(text, 1));
  }

  /** Fills the identifier filter from the identifiers tree (at open). */
  loadIdentifierFilter(): void {
    for (const key of this.identifiers.getKeys()) this.identifierFilter.add(key);
  }

  /** profileIds homed at a userId (committed state). */
  membersOf(userId: string): string[] {
    const out: string[] = [];
    for (const key of this.members.getKeys({ start: [userId], end: [`${userId}\u0000`] })) out.push(key[1]);
    return out;
  }

  *allPartials(): Iterable<{ key: PartialKey; value: unknown }> {
    for (const { key, value } of this.partials.getRange()) yield { key: parsePartialKey(key), value };
  }

  allLinks(): Iterable<{ key: string; value: Link }> {
    return this.links.getRange();
  }

  allMembers(): Iterable<[string, string]> {
    return this.members.getKeys();
  }

  *allIdentifiers(): Iterable<[number, string]> {
    for (const key of this.identifiers.getKeys()) yield [Number(key[0]), key.slice(1)];
  }

  // Repairs by rebuild: removals of projection entries the log does not imply.

  removePartial(key: PartialKey): void {
    this.pending.delete(Pending.partial, partialKeyText(key));
    issued(this.partials.remove(partialKeyText(key)));
  }

  removeLink(profileId: string): void {
    this.pending.delete(Pending.link, profileId);
    issued(this.links.remove(profileId));
  }

  removeIdentifier(kind: PartialKindCode, id: string): void {
    this.pending.delete(Pending.identifier, `${kind}${id}`);
    issued(this.identifiers.remove(`${kind}${id}`));
  }

  /** Resolves when every write issued so far is committed (not necessarily flushed). */
  get committed(): Promise<void> {
    return this.root.committed as unknown as Promise<void>;
  }

  // Writes are asynchronous: all of them issued in one event turn commit in one transaction.

  putRecord(seq: number, tuple: RecordTuple): void {
    issued(this.log.put(seq, tuple));
  }

  putDedupe(key: Buffer, seq: number): void {
    issued(this.dedupe.put(key, seq));
  }

  putCollision(eventId: string, seq: number): void {
    issued(this.collisions.put(eventId, seq));
  }

  putIndex(key: IndexKey): void {
    issued(this.index.put(key, EMPTY));
  }

  /** Resolves when every write issued so far is committed and flushed to disk. */
  get flushed(): Promise<void> {
    return this.root.flushed as unknown as Promise<void>;
  }

  // Reads see the last committed state.

  getRecord(seq: number): RecordTuple | undefined {
    return this.log.get(seq);
  }

  getDedupe(key: Buffer): number | undefined {
    return this.dedupe.get(key);
  }

  getCollision(eventId: string): number | undefined {
    return this.collisions.get(eventId);
  }

  lastSeq(): number {
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }

  records(fromSeq = 1): Iterable<{ key: number; value: RecordTuple }> {
    return this.log.getRange({ start: fromSeq });
  }

  dedupeKeys(): Iterable<Buffer> {
    return this.dedupe.getKeys();
  }

  dedupeEntries(): Iterable<{ key: Buffer; value: number }> {
    return this.dedupe.getRange();
  }

  collisionEntries(): Iterable<{ key: string; value: number }> {
    return this.collisions.getRange();
  }

  /** Index keys from `start` (inclusive) to `end` (exclusive), or backwards from `end`'s side when reversed. */
  indexRange(start: IndexBound, end: IndexBound, reverse: boolean): Iterable<IndexKey> {
    const range = reverse ? { start: end, end: start, reverse: true } : { start, end };
    return this.index.getKeys(range);
  }

  hasIndexKey(key: IndexKey): boolean {
    return this.index.get(key) !== undefined;
  }

  collisionCount(): number {
    return entryCount(this.collisions);
  }

  counts(): { records: number; indexEntries: number; dedupeEntries: number } {
    return {
      records: entryCount(this.log),
      indexEntries: entryCount(this.index),
      dedupeEntries: entryCount(this.dedupe),
    };
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
