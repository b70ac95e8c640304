// The read side of profiles, accounts, sessions and identity, over the committed state.

import { errors } from '../errors.js';
import { ownersOf, resolveIdentity, type IdentityReader } from '../identity/identity-graph.js';
import { fromTuple, type StoredRecord } from '../storage/record-codec.js';
import { IndexKind, MAX_INDEX_TIME, MIN_INDEX_TIME } from '../storage/keys.js';
import { membersFromText } from '../storage/derived-store.js';
import type { Storage } from '../storage/storage.js';
import type { CompiledComputed } from './computed.js';
import type { PartialKey } from './projection-store.js';
import { PartialKind, type PartialKindCode } from './projection-store.js';
import { ownerOf } from './projector.js';
import { buildAccount, buildProfile, buildSession, type Account, type Profile, type Session, type SessionEvent, type ViewSource } from './views.js';

/** A profile lookup: any identifier (a userId first, then a profileId), or a named one. */
export type ProfileLookup = string | { userId: string } | { profileId: string };

export class ReadModel implements ViewSource, IdentityReader {
  /** The log position the current read's snapshot holds (the projections in memory are folded up to it). */
  private position = 0;
  /** How far the consolidation is in the current read's snapshot. */
  private consolidated = { generations: 0, started: false };
  /**
   * In a read of a view: the user state `membersOf` read with the user's members (see
   * `DerivedStore.currentUserState`), decoded, which `getUserState` then takes (once) without a second read.
   */
  private userRead: { userId: string; members: string; state: unknown } | undefined;
  private viewing = false;

  /** `follow` brings a read-only handle's in-memory state up to a position (it folds its writer's new records). */
  constructor(
    private readonly storage: Storage,
    private readonly computed: readonly CompiledComputed[],
    private readonly placeholders: ReadonlySet<string>,
    private readonly follow: ((position: number) => void) | undefined,
  ) {}

  /** Starts a read: pins the snapshot's log position. */
  private begin(): void {
    this.viewing = false;
    this.userRead = undefined;
    this.position = this.storage.lastSeq();
    this.follow?.(this.position);
  }

  /** Starts a read of states and partials (profiles, accounts, sessions): pins the consolidation's progress too. */
  private beginView(): void {
    this.begin();
    this.consolidated = this.storage.consolidation();
    this.viewing = true;
  }

  /** Pins a read's snapshot position for a reader outside the model (`events()`), and returns it. */
  pin(): number {
    this.begin();
    return this.position;
  }

  // Readers see committed state only: the writer's memory holds nothing uncommitted when a read runs, and a
  // read-only handle folds its writer's log up to the read's position first.

  getPartial(key: PartialKey): unknown {
    return this.storage.derived.getPartial(key);
  }

  getState(kind: PartialKindCode, id: string): unknown {
    return this.consolidated.started ? this.storage.derived.getState(kind, id) : undefined;
  }

  getUserState(userId: string, members: string): unknown {
    if (!this.consolidated.started) return undefined;
    const read = this.userRead;
    if (read === undefined || read.userId !== userId || read.members !== members) return this.storage.derived.userState(userId, members);
    // The caller may change the state: a second ask reads its own.
    this.userRead = undefined;
    return read.state;
  }

  sessionSet(key: string): readonly string[] {
    return this.storage.derived.sessionSet(key);
  }

  firstGeneration(): number {
    return this.consolidated.generations;
  }

  lastGeneration(): number {
    return this.storage.generationOf(this.position);
  }

  getLink(profileId: string): { u: string } | undefined {
    return this.storage.derived.getLink(profileId);
  }

  /** A user's profileIds; in a view's read, from its user state when that holds the members now (one read for both). */
  membersOf(userId: string): string[] {
    return this.membersFromUserState(userId) ?? this.storage.derived.membersOf(userId);
  }

  /**
   * A known user's members. A user whose merged state holds its members now is known (only a registered user has
   * one): then its identifier is not read.
   */
  membersOfKnownUser(userId: string): string[] | undefined {
    const members = this.membersFromUserState(userId);
    if (members !== undefined) return members;
    return this.hasUser(userId) ? this.storage.derived.membersOf(userId) : undefined;
  }

  /** In a view's read, the user's members from its user state when that holds them now; it then serves the view's state too. */
  private membersFromUserState(userId: string): string[] | undefined {
    const current = this.viewing && this.consolidated.started ? this.storage.derived.currentUserState(userId) : undefined;
    if (current === undefined) return undefined;
    this.userRead = { userId, ...current };
    return membersFromText(current.members);
  }

  hasUser(userId: string): boolean {
    return this.storage.derived.hasIdentifier(PartialKind.userId, userId);
  }

  hasProfile(profileId: string): boolean {
    return this.storage.derived.hasIdentifier(PartialKind.profileId, profileId);
  }

  profile(lookup: ProfileLookup): Profile | undefined {
    const target = checkLookup(lookup);
    this.beginView();
    const identity = resolveIdentity(this, target);
    return identity === undefined ? undefined : buildProfile(this, identity, this.computed);
  }

  account(accountId: string): Account | undefined {
    const id = checkId(accountId, 'accountId');
    this.beginView();
    return buildAccount(this, id);
  }

  /** A session, folded from its events in the read's snapshot (the session index, then the log). */
  session(sessionId: string): Session | undefined {
    const id = checkId(sessionId, 'sessionId');
    // No state is read: the position alone (and the links, for the owners' unified ids).
    this.begin();
    return buildSession(this, id, this.sessionEvents(id));
  }

  /** A session's events in the read's snapshot: their seqs from the session index, then the records, in seq order. */
  private sessionEvents(sessionId: string): SessionEvent[] {
    const { storage } = this;
    const postings = storage.index.scan([[IndexKind.sessionId, sessionId]], MIN_INDEX_TIME, MAX_INDEX_TIME, false, this.position, storage.checkpointPosition());
    const seqs: number[] = [];
    while (postings.next()) seqs.push(postings.seq);
    seqs.sort((a, b) => a - b);
    const events: SessionEvent[] = [];
    storage.recordReader(this.position).each(seqs, (seq, tuple) => {
      const record = fromTuple(seq, tuple);
      events.push({ time: record.time, eventId: record.eventId, pageId: record.pageId, owner: ownerOf(record, this.placeholders) });
    });
    return events;
  }

  /** Owners of the unified profile of an identifier, for `events()`. */
  ownersOf(field: 'profileId' | 'userId', value: string): string[] {
    this.begin();
    const identity = resolveIdentity(this, field === 'userId' ? { userId: value } : { profileId: value });
    return identity === undefined ? [] : ownersOf(identity);
  }

  ownerOfRecord(record: StoredRecord): string {
    return ownerOf(record, this.placeholders);
  }
}

function checkId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw errors.invalidArgument(name, 'must be a non-empty string');
  return value;
}

function checkLookup(lookup: ProfileLookup): string | { userId?: string; profileId?: string } {
  if (typeof lookup === 'string') return checkId(lookup, 'identifier');
  if (typeof lookup !== 'object' || lookup === null) throw errors.invalidArgument('identifier', 'must be a string, { userId } or { profileId }');
  if ('userId' in lookup) return { userId: checkId(lookup.userId, 'userId') };
  if ('profileId' in lookup) return { profileId: checkId(lookup.profileId, 'profileId') };
  throw errors.invalidArgument('identifier', 'must be a string, { userId } or { profileId }');
}
