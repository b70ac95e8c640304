// Keeps profiles, accounts, sessions and the identity graph up to date, in the same transaction as the records.

import type { Counters } from '../schema/results.js';
import type { NormalizedRecord } from '../schema/record.js';
import { isPlaceholder } from '../schema/validate.js';
import { profileOwner, recordLink, userOwner, type Owner } from '../identity/identity-graph.js';
import type { CompiledComputed } from './computed.js';
import {
  addEventToAccount,
  addEventToIdentifier,
  addUpdate,
  emptyAccount,
  emptyIdentifier,
  type AccountPartial,
  type IdentifierPartial,
  type ProjectedEvent,
} from './partials.js';
import { PartialKind, type PartialKindCode, type ProjectionStore } from './projection-store.js';

type AnyPartial = IdentifierPartial | AccountPartial;

/**
 * What one write call has registered. The partials its records are folded into are the store's own, changed in place
 * (`ProjectionStore.foldTarget`): no map of them per call, nor a pass putting them back.
 */
export interface ProjectionBatch {
  /**
   * By kind code: ids first seen in this batch, and ids noted when replaying. Other known ids are not kept: the store
   * answers them again.
   */
  registered: Set<string>[];
}

const COUNTER_OF: Record<PartialKindCode, 'profileIds' | 'userIds' | 'sessions' | 'accounts'> = {
  1: 'profileIds',
  2: 'userIds',
  3: 'sessions',
  4: 'accounts',
};

type OwnerKind = typeof PartialKind.userId | typeof PartialKind.profileId;

/** The kind of a behavioural record's owner: its userId's, else its profileId's; undefined when both are placeholders. */
function ownerKindOf(record: { userId?: string; profileId?: string }, placeholders: ReadonlySet<string>): OwnerKind | undefined {
  if (record.userId !== undefined && !isPlaceholder(record.userId, placeholders)) return PartialKind.userId;
  if (record.profileId !== undefined && !isPlaceholder(record.profileId, placeholders)) return PartialKind.profileId;
  return undefined;
}

/** The owner of a behavioural record: its userId, else its profileId; '' when both are placeholders. */
export function ownerOf(record: { userId?: string; profileId?: string }, placeholders: ReadonlySet<string>): Owner {
  const kind = ownerKindOf(record, placeholders);
  return kind === undefined ? '' : kind === PartialKind.userId ? userOwner(record.userId!) : profileOwner(record.profileId!);
}

/** The id of a record's owner of `kind`. */
const ownerId = (record: { userId?: string; profileId?: string }, kind: OwnerKind): string =>
  kind === PartialKind.userId ? record.userId! : record.profileId!;

export class Projector {
  constructor(
    private readonly store: ProjectionStore,
    private readonly computed: readonly CompiledComputed[],
    private readonly placeholders: ReadonlySet<string>,
    private readonly counters: Counters,
    /** The generation of a sequence number (the store's: see Storage.generationOf). */
    private readonly generationOf: (seq: number) => number,
    private readonly enabled = true,
    /**
     * The records are committed ones replayed (recovery, a read-only handle's follow): their ids were registered and
     * counted when they were written, so they are noted without a lookup (`noteIdentifier`) and counted nowhere.
     */
    private readonly replaying = false,
  ) {}

  begin(): ProjectionBatch {
    return { registered: [new Set(), new Set(), new Set(), new Set(), new Set()] };
  }

  /** Folds one accepted record into the batch. Product payloads touch no profile. */
  apply(batch: ProjectionBatch, record: NormalizedRecord, seq: number): void {
    if (!this.enabled) return;
    const gen = this.generationOf(seq);
    if (record.kind === 'event') this.applyEvent(batch, record, gen, seq);
    else if (record.kind === 'attributes') this.applyAttributes(batch, record, gen);
  }

  private applyEvent(batch: ProjectionBatch, record: NormalizedRecord, gen: number, seq: number): void {
    const event: ProjectedEvent = record;
    this.linkIfBoth(batch, record);
    // The owner's kind and id straight from the record: its `u:`/`p:` string is built only for an account's members.
    const ownerKind = ownerKindOf(record, this.placeholders);
    if (ownerKind !== undefined) {
      const partial = this.partial(batch, gen, ownerKind, ownerId(record, ownerKind), emptyIdentifier);
      addEventToIdentifier(partial, event, this.computed);
      if (record.attributes !== undefined) addUpdate(partial, record.attributes, record.time, record.eventId, 'event');
    }
    // A session keeps no state: a read folds its events from the log (see `ReadModel.session`); its id is counted.
    this.registerSession(record.sessionId!, seq);
    if (record.accountId !== undefined) {
      const account = this.partial(batch, gen, PartialKind.account, record.accountId, emptyAccount);
      addEventToAccount(account, event, ownerOf(record, this.placeholders));
      if (record.accountAttributes !== undefined) addUpdate(account, record.accountAttributes, record.time, record.eventId, 'event');
    }
  }

  private applyAttributes(batch: ProjectionBatch, record: NormalizedRecord, gen: number): void {
    const source = record.source ?? 'api';
    if (record.accountId !== undefined) {
      addUpdate(this.partial(batch, gen, PartialKind.account, record.accountId, emptyAccount), record.accountAttributes!, record.time, record.eventId, source);
      return;
    }
    const ownerKind = ownerKindOf(record, this.placeholders);
    if (ownerKind !== undefined)
      addUpdate(this.partial(batch, gen, ownerKind, ownerId(record, ownerKind), emptyIdentifier), record.attributes!, record.time, record.eventId, source);
  }

  /** An event carrying both a profileId and a userId links them (placeholders never link). */
  private linkIfBoth(batch: ProjectionBatch, record: NormalizedRecord): void {
    const { profileId, userId } = record;
    if (profileId === undefined || isPlaceholder(profileId, this.placeholders)) return;
    this.register(batch, PartialKind.profileId, profileId);
    if (userId === undefined || isPlaceholder(userId, this.placeholders)) return;
    if (recordLink(this.store, profileId, userId, record.time, record.eventId)) this.counters.linkedProfileIds++;
  }

  /**
   * The partial a key's records are folded into, registering its id: the store's own, changed in place (the
   * writer commits a call before anything reads, see BatchWriter), or a new delta. A key's first record in a window
   * starts a delta from empty, live or replayed: no stored partial is read or decoded to fold into, and the
   * checkpoint appends the delta to the key's stored value (the merges are associative and commutative, so a read
   * that merges them sees what folding every record into one partial gives). A live fold registers the id
   * (`register`: known ids, the identifier filter, then LMDB); a replay notes it.
   */
  private partial<T extends AnyPartial>(batch: ProjectionBatch, gen: number, kind: PartialKindCode, id: string, empty: () => T): T {
    let partial = this.store.foldTarget(gen, kind, id, this.replaying) as T | undefined;
    if (partial !== undefined) return partial;
    partial = empty();
    this.register(batch, kind, id);
    this.store.putDelta([gen, kind, id], partial);
    return partial;
  }

  /**
   * Counts a session the first time an event has it, without the batch's map: no partial asks whether a session
   * is new, and the writer's store answers a registered one from memory (its known ids). The map would grow by
   * nearly every event, for a later event of the same session in the same batch, which is rare.
   */
  private registerSession(id: string, seq: number): void {
    if (this.replaying) {
      this.store.noteSession(id);
      return;
    }
    if (this.store.hasSession(id, seq)) return;
    this.store.addSession(id);
    this.counters.sessions++;
  }

  /** Counts an identifier, session or account the first time it is seen. */
  private register(batch: ProjectionBatch, kind: PartialKindCode, id: string): void {
    const registered = batch.registered[kind]!;
    if (registered.has(id)) return;
    if (this.replaying) {
      this.store.noteIdentifier(kind, id);
      registered.add(id);
      return;
    }
    // A known id is not kept in the set: the store answers it again from memory (the writer's known ids).
    if (this.store.hasIdentifier(kind, id)) return;
    registered.add(id);
    this.store.addIdentifier(kind, id);
    this.counters[COUNTER_OF[kind]]++;
  }
}
