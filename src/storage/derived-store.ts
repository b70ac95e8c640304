// Derived state (partial states, links, members, identifiers): in memory after the last checkpoint, in LMDB before it.

import type { Database, RootDatabase } from 'lmdb';
import { IdentifierFilter } from './identifier-filter.js';
import { issued } from './issued.js';
import { committedToken, REMOVED, settleToken, VersionedOverlay, WriteToken } from './overlay.js';
import type { Link, PartialCodec, PartialKey, PartialKindCode, ProjectionStore } from './projection-state.js';

const EMPTY = Buffer.alloc(0);
const MEMBER_SEPARATOR = '\u0000';

/** `[gen, kind, id]` as text: generation in 4 base-36 digits (so keys group by generation), the kind digit, the id. */
function partialKeyText(key: PartialKey): string {
  return `${key[0].toString(36).padStart(4, '0')}${key[1]}${key[2]}`;
}

function parsePartialKey(text: string): PartialKey {
  return [Number.parseInt(text.slice(0, 4), 36), Number(text[4]) as PartialKindCode, text.slice(5)];
}

/** The projection state as a rebuild computes it: keys joined by NUL, as the scratch store keeps them. */
export interface WholeProjectionState {
  partials: ReadonlyMap<string, { key: PartialKey; value: unknown }>;
  links: ReadonlyMap<string, Link>;
  /** `userId NUL profileId` */
  members: ReadonlySet<string>;
  /** `kind NUL id` */
  identifiers: ReadonlySet<string>;
}

/** Where the checkpoint's log position is kept, in the meta tree. */
export const CHECKPOINT_KEY = 'checkpoint';

/**
 * The projection state of one store. The writer folds every batch into versioned overlays held in memory; only a
 * checkpoint writes them to LMDB (with its log position, in the transaction of the batch that triggers it), so a
 * batch's own transaction carries the log, not the projections. After a crash the records after the checkpoint
 * are replayed into the overlays before the first write (see projections/tail-replay.ts).
 *
 * Reads name the log position their snapshot holds and see the overlay versions at or before it on top of LMDB,
 * which holds the state at the checkpoint: a batch still being committed is invisible, and a checkpoint being
 * written cannot be counted twice (its values are whole values, equal to the overlay's at its position).
 */
export class DerivedStore implements ProjectionStore {
  /** Partial states as the codec writes them (positional msgpack arrays). */
  private readonly partials: Database<Buffer, string>;
  /** The same tree through msgpack records with shared structures: how partials were written before the codec. */
  private readonly recordPartials: Database<unknown, string>;
  private readonly links: Database<Link, string>;
  private readonly members: Database<Buffer, [string, string]>;
  private readonly identifiers: Database<number, string>;
  /** The identifier filter as of the checkpoint: key 0 → [checkpoint position, ids in the last filter, filters]; i + 1 → filter i. */
  private readonly storedFilter: Database<Buffer, number>;
  private readonly partialOverlay = new VersionedOverlay();
  private readonly linkOverlay = new VersionedOverlay();
  private readonly memberOverlay = new VersionedOverlay();
  private readonly identifierOverlay = new VersionedOverlay();
  /** userId → profileIds with a member version in the overlay, so `membersOf` needs no overlay scan. */
  private readonly overlayMembersByUser = new Map<string, Set<string>>();
  private readonly identifierFilter = new IdentifierFilter();
  /** The write call the writer is folding now (see `begin`). */
  private token: WriteToken = committedToken(0);

  constructor(
    root: RootDatabase,
    private readonly readOnly: boolean,
    private readonly codec: PartialCodec,
  ) {
    this.partials = root.openDB({ name: 'partials', encoding: 'binary' });
    this.recordPartials = root.openDB({ name: 'partials', sharedStructuresKey: Symbol.for('structures') });
    this.links = root.openDB({ name: 'links', sharedStructuresKey: Symbol.for('structures') });
    this.members = root.openDB({ name: 'members', encoding: 'binary' });
    this.identifiers = root.openDB({ name: 'identifiers' });
    this.storedFilter = root.openDB({ name: 'identifier-filter', encoding: 'binary' });
  }

  /** Starts a write call: every projection write until the next `begin` belongs to the returned token. */
  begin(token = new WriteToken()): WriteToken {
    this.token = token;
    return token;
  }

  /** Marks a call committed (its commit resolved) and drops the versions it hides. */
  settle(token: WriteToken): void {
    settleToken(token);
  }

  /** Entries held in memory, for the checkpoint policy's memory cap. */
  get overlaySize(): number {
    return this.partialOverlay.size + this.linkOverlay.size + this.memberOverlay.size + this.identifierOverlay.size;
  }

  // The writer's view (ProjectionStore): its own newest writes, then LMDB.

  getPartial(key: PartialKey): unknown {
    const text = partialKeyText(key);
    return orStored(this.partialOverlay.latest(text), () => this.storedPartial(text));
  }

  /** A partial as LMDB holds it: the codec's array, or a msgpack record written before the codec existed. */
  private storedPartial(text: string): unknown {
    const bytes = this.partials.getBinaryFast(text);
    if (bytes === undefined) return undefined;
    return isArrayValue(bytes[0]!) ? this.codec.decode(kindOfText(text), bytes) : this.recordPartials.get(text);
  }

  putPartial(key: PartialKey, value: unknown): void {
    this.partialOverlay.set(partialKeyText(key), value, this.token);
  }

  getLink(profileId: string): Link | undefined {
    return orStored(this.linkOverlay.latest(profileId), () => this.links.get(profileId)) as Link | undefined;
  }

  putLink(profileId: string, link: Link): void {
    this.linkOverlay.set(profileId, link, this.token);
  }

  addMember(userId: string, profileId: string): void {
    this.setMember(userId, profileId, 1);
  }

  removeMember(userId: string, profileId: string): void {
    this.setMember(userId, profileId, REMOVED);
  }

  private setMember(userId: string, profileId: string, value: unknown): void {
    this.memberOverlay.set(`${userId}${MEMBER_SEPARATOR}${profileId}`, value, this.token);
    let profiles = this.overlayMembersByUser.get(userId);
    if (profiles === undefined) this.overlayMembersByUser.set(userId, (profiles = new Set()));
    profiles.add(profileId);
  }

  hasIdentifier(kind: PartialKindCode, id: string): boolean {
    const text = `${kind}${id}`;
    if (!this.readOnly && !this.identifierFilter.mightContain(text)) return false;
    return orStored(this.identifierOverlay.latest(text), () => this.identifiers.get(text)) !== undefined;
  }

  mayHaveIdentifier(kind: PartialKindCode, id: string): boolean {
    return this.readOnly || this.identifierFilter.mightContain(`${kind}${id}`);
  }

  addIdentifier(kind: PartialKindCode, id: string): void {
    const text = `${kind}${id}`;
    this.identifierFilter.add(text);
    this.identifierOverlay.set(text, 1, this.token);
  }

  // Removals, for repairs.

  removePartial(key: PartialKey): void {
    this.partialOverlay.set(partialKeyText(key), REMOVED, this.token);
  }

  removeLink(profileId: string): void {
    this.linkOverlay.set(profileId, REMOVED, this.token);
  }

  removeIdentifier(kind: PartialKindCode, id: string): void {
    this.identifierOverlay.set(`${kind}${id}`, REMOVED, this.token);
  }

  // Readers: the state a snapshot holding the log up to `position` implies.

  committedPartial(key: PartialKey, position: number): unknown {
    const text = partialKeyText(key);
    return orStored(this.partialOverlay.visible(text, position), () => this.storedPartial(text));
  }

  committedLink(profileId: string, position: number): Link | undefined {
    return orStored(this.linkOverlay.visible(profileId, position), () => this.links.get(profileId)) as Link | undefined;
  }

  hasCommittedIdentifier(kind: PartialKindCode, id: string, position: number): boolean {
    const text = `${kind}${id}`;
    if (!this.readOnly && !this.identifierFilter.mightContain(text)) return false;
    return orStored(this.identifierOverlay.visible(text, position), () => this.identifiers.get(text)) !== undefined;
  }

  /** profileIds homed at a userId at `position`. */
  membersOf(userId: string, position = Number.POSITIVE_INFINITY): string[] {
    const out = new Set<string>();
    for (const key of this.members.getKeys({ start: [userId], end: [`${userId}${MEMBER_SEPARATOR}`] })) out.add(key[1]);
    for (const profileId of this.overlayMembersByUser.get(userId) ?? []) {
      const value = this.memberOverlay.visible(`${userId}${MEMBER_SEPARATOR}${profileId}`, position);
      if (value === REMOVED) out.delete(profileId);
      else if (value !== undefined) out.add(profileId);
    }
    return [...out];
  }

  // Whole-state scans (verify, rebuild): LMDB overlaid with every committed version.

  *allPartials(): Iterable<{ key: PartialKey; value: unknown }> {
    const stored = (function* (store: DerivedStore, keys: Iterable<string>) {
      for (const key of keys) yield { key, value: store.storedPartial(key) };
    })(this, this.partials.getKeys());
    // Only whether LMDB holds the key matters here: no decoding.
    for (const [text, value] of merged(this.partialOverlay, stored, (key) => this.partials.getBinaryFast(key))) {
      yield { key: parsePartialKey(text), value };
    }
  }

  *allLinks(): Iterable<{ key: string; value: Link }> {
    for (const [key, value] of merged(this.linkOverlay, this.links.getRange(), (k) => this.links.get(k))) yield { key, value: value as Link };
  }

  *allMembers(): Iterable<[string, string]> {
    const stored = this.members.getKeys();
    const asText = (function* () {
      for (const [userId, profileId] of stored) yield { key: `${userId}${MEMBER_SEPARATOR}${profileId}`, value: 1 };
    })();
    for (const [key] of merged(this.memberOverlay, asText, (k) =>
      this.members.get(k.split(MEMBER_SEPARATOR) as [string, string]) === undefined ? undefined : 1,
    )) {
      yield key.split(MEMBER_SEPARATOR) as [string, string];
    }
  }

  *allIdentifiers(): Iterable<[number, string]> {
    const stored = (function* (keys: Iterable<string>) {
      for (const key of keys) yield { key, value: 1 };
    })(this.identifiers.getKeys());
    for (const [key] of merged(this.identifierOverlay, stored, (k) => this.identifiers.get(k))) yield [Number(key[0]), key.slice(1)];
  }

  /**
   * Loads the identifier filter at a writer's open, before the tail is replayed into the overlay: the one the
   * checkpoint at `checkpoint` stored, else (a store written before filters were stored) rebuilt from every
   * identifier, and stored whole by the next checkpoint.
   */
  loadIdentifierFilter(checkpoint: number): void {
    const header = this.storedFilter.get(0);
    if (header !== undefined && header.readUIntBE(0, 6) === checkpoint) {
      const count = header.readUInt32BE(10);
      const filters: Buffer[] = [];
      for (let index = 0; index < count; index++) {
        const bytes = this.storedFilter.get(index + 1);
        if (bytes === undefined) break;
        filters.push(bytes);
      }
      if (filters.length === count) {
        this.identifierFilter.restore(header.readUInt32BE(6), filters);
        return;
      }
    }
    this.refillIdentifierFilter();
  }

  /** Adds every stored identifier to the filter (at open without a stored filter, and after a repair). */
  refillIdentifierFilter(): void {
    for (const key of this.identifiers.getKeys()) this.identifierFilter.add(key);
    this.identifierFilter.markAllChanged();
  }

  // Checkpoints.

  /**
   * Issues the overlay's newest values as LMDB writes, in the transaction of the write call being committed
   * (whose records end at `position`, the newest of any call issued): LMDB then holds the state at `position`.
   */
  writeCheckpoint(position: number): void {
    const { inLast, count, changed } = this.identifierFilter.takeChanges();
    for (const [index, bytes] of changed) issued(this.storedFilter.put(index + 1, bytes));
    const header = Buffer.alloc(14);
    header.writeUIntBE(position, 0, 6);
    header.writeUInt32BE(inLast, 6);
    header.writeUInt32BE(count, 10);
    issued(this.storedFilter.put(0, header));
    for (const [text, value] of this.partialOverlay.checkpoint(position))
      issued(value === REMOVED ? this.partials.remove(text) : this.partials.put(text, this.codec.encode(kindOfText(text), value)));
    for (const [key, value] of this.linkOverlay.checkpoint(position)) issued(value === REMOVED ? this.links.remove(key) : this.links.put(key, value as Link));
    for (const [key, value] of this.memberOverlay.checkpoint(position)) {
      const pair = key.split(MEMBER_SEPARATOR) as [string, string];
      issued(value === REMOVED ? this.members.remove(pair) : this.members.put(pair, EMPTY));
    }
    for (const [key, value] of this.identifierOverlay.checkpoint(position))
      issued(value === REMOVED ? this.identifiers.remove(key) : this.identifiers.put(key, 1));
  }

  /** Forgets the overlay versions a committed checkpoint at `position` wrote. */
  pruneCheckpointed(position: number): void {
    for (const overlay of [this.partialOverlay, this.linkOverlay, this.memberOverlay, this.identifierOverlay]) overlay.landed(position);
    this.overlayMembersByUser.clear();
    for (const key of this.memberOverlay.keys()) {
      const [userId, profileId] = key.split(MEMBER_SEPARATOR) as [string, string];
      let profiles = this.overlayMembersByUser.get(userId);
      if (profiles === undefined) this.overlayMembersByUser.set(userId, (profiles = new Set()));
      profiles.add(profileId);
    }
  }

  /**
   * Replaces the whole projection state in LMDB with `state` (a rebuild, inside its transaction) and drops the
   * overlays, whose content `state` includes.
   */
  replaceAll(state: WholeProjectionState): void {
    for (const key of this.partials.getKeys()) issued(this.partials.remove(key));
    for (const key of this.links.getKeys()) issued(this.links.remove(key));
    for (const key of this.members.getKeys()) issued(this.members.remove(key));
    for (const key of this.identifiers.getKeys()) issued(this.identifiers.remove(key));
    // The stored filter no longer matches: the next checkpoint stores the refilled one whole.
    for (const key of this.storedFilter.getKeys()) issued(this.storedFilter.remove(key));
    for (const { key, value } of state.partials.values()) issued(this.partials.put(partialKeyText(key), this.codec.encode(key[1], value)));
    for (const [profileId, link] of state.links) issued(this.links.put(profileId, link));
    for (const key of state.members) issued(this.members.put(key.split(MEMBER_SEPARATOR) as [string, string], EMPTY));
    for (const key of state.identifiers) {
      const [kind, id] = key.split(MEMBER_SEPARATOR) as [string, string];
      issued(this.identifiers.put(`${kind}${id}`, 1));
    }
    this.clearOverlay();
  }

  /** Drops the whole overlay (a read-only follower whose writer checkpointed past what it folded). */
  clearOverlay(): void {
    for (const overlay of [this.partialOverlay, this.linkOverlay, this.memberOverlay, this.identifierOverlay]) overlay.clear();
    this.overlayMembersByUser.clear();
  }
}

/** An overlay value, else the stored one; REMOVED reads as absent. */
/** The kind digit of a partial key's text (after the four generation digits). */
function kindOfText(text: string): PartialKindCode {
  return Number(text[4]) as PartialKindCode;
}

/** A msgpack array's first byte (fixarray, array 16, array 32): a value the codec wrote, not a msgpack record. */
function isArrayValue(first: number): boolean {
  return (first & 0xf0) === 0x90 || first === 0xdc || first === 0xdd;
}

function orStored(value: unknown, stored: () => unknown): unknown {
  if (value === REMOVED) return undefined;
  return value !== undefined ? value : stored();
}

/** LMDB entries with the overlay's committed values on top, then the overlay's keys LMDB lacks. */
function* merged(
  overlay: VersionedOverlay,
  stored: Iterable<{ key: string; value: unknown }>,
  storedValue: (key: string) => unknown,
): Generator<[string, unknown]> {
  for (const { key, value } of stored) {
    const over = overlay.visible(key, Number.POSITIVE_INFINITY);
    if (over === REMOVED) continue;
    yield [key, over !== undefined ? over : value];
  }
  for (const [key, value] of overlay.entries()) {
    if (value !== REMOVED && storedValue(key) === undefined) yield [key, value];
  }
}
