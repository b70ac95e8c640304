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

/** What one write call touches: per key, the partial its records are folded into (the store's own, changed in place). */
export interface ProjectionBatch {
  /** Partials by generation, then by kind code (index), then by id: no key strings are built per event. */
  partials: Map<number, Map<string, AnyPartial>[]>;
  /**
   * By kind code: ids first seen in this batch (true: no stored partial state can exist), and ids found known by a
   * stored partial or, when replaying, noted (false). Other known ids are not kept: the store answers them again.
   */
  registered: Map<string, boolean>[];
}

const byKind = <T>(): Map<string, T>[] => [new Map<string, T>(), new Map<string, T>(), new Map<string, T>(), new Map<string, T>(), new Map<string, T>()];

const COUNTER_OF: Record<PartialKindCode, 'profileIds' | 'userIds' | 'sessions' | 'accounts'> = {
  1: 'profileIds',
  2: 'userIds',
  3: 'sessions',
  4: 'accounts',
};

/** The owner of a behavioural record: its userId, else its profileId; '' when both are placeholders. */
export function ownerOf(record: { userId?: string; profileId?: string }, placeholders: ReadonlySet<string>): Owner {
  if (record.userId !== undefined && !isPlaceholder(record.userId, placeholders)) return userOwner(record.userId);
  if (record.profileId !== undefined && !isPlaceholder(record.profileId, placeholders)) return profileOwner(record.profileId);
  return '';
}

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
    return { partials: new Map(), registered: byKind() };
  }

  /** Folds one accepted record into the batch. Product payloads touch no profile. */
  apply(batch: ProjectionBatch, record: NormalizedRecord, seq: number): void {
    if (!this.enabled) return;
    const gen = this.generationOf(seq);
    if (record.kind === 'event') this.applyEvent(batch, record, gen, seq);
    else if (record.kind === 'attributes') this.applyAttributes(batch, record, gen);
  }

  /** Puts the batch's partials in the store (a partial read from LMDB joins the in-memory window). */
  flush(batch: ProjectionBatch): void {
    for (const [gen, kinds] of batch.partials) {
      for (let kind = 1 as PartialKindCode; kind <= 4; kind++) {
        for (const [id, partial] of kinds[kind]!) {
          if (this.replaying) this.store.putDelta([gen, kind, id], partial);
          else this.store.putPartial([gen, kind, id], partial);
        }
      }
    }
  }

  private applyEvent(batch: ProjectionBatch, record: NormalizedRecord, gen: number, seq: number): void {
    const event: ProjectedEvent = {
      time: record.time,
      eventId: record.eventId,
      eventName: record.eventName!,
      sessionId: record.sessionId!,
      accountId: record.accountId,
      data: record.data,
    };
    const owner = ownerOf(record, this.placeholders);
    this.linkIfBoth(batch, record);
    if (owner !== '') {
      const partial = this.identifierPartial(batch, gen, owner);
      addEventToIdentifier(partial, event, this.computed);
      if (record.attributes !== undefined) addUpdate(partial, record.attributes, record.time, record.eventId, 'event');
    }
    // A session keeps no state: a read folds its events from the log (see `ReadModel.session`); its id is counted.
    this.registerSession(event.sessionId, seq);
    if (record.accountId !== undefined) {
      const account = this.partial(batch, gen, PartialKind.account, record.accountId, emptyAccount);
      addEventToAccount(account, event, owner);
      if (record.accountAttributes !== undefined) addUpdate(account, record.accountAttributes, record.time, record.eventId, 'event');
    }
  }

  private applyAttributes(batch: ProjectionBatch, record: NormalizedRecord, gen: number): void {
    const source = record.source ?? 'api';
    if (record.accountId !== undefined) {
      addUpdate(this.partial(batch, gen, PartialKind.account, record.accountId, emptyAccount), record.accountAttributes!, record.time, record.eventId, source);
      return;
    }
    const owner = ownerOf(record, this.placeholders);
    if (owner !== '') addUpdate(this.identifierPartial(batch, gen, owner), record.attributes!, record.time, record.eventId, source);
  }

  /** An event carrying both a profileId and a userId links them (placeholders never link). */
  private linkIfBoth(batch: ProjectionBatch, record: NormalizedRecord): void {
    const { profileId, userId } = record;
    if (profileId === undefined || isPlaceholder(profileId, this.placeholders)) return;
    this.register(batch, PartialKind.profileId, profileId);
    if (userId === undefined || isPlaceholder(userId, this.placeholders)) return;
    if (recordLink(this.store, profileId, userId, record.time, record.eventId)) this.counters.linkedProfileIds++;
  }

  private identifierPartial(batch: ProjectionBatch, gen: number, owner: Owner): IdentifierPartial {
    const kind = owner.startsWith('u:') ? PartialKind.userId : PartialKind.profileId;
    return this.partial(batch, gen, kind, owner.slice(2), emptyIdentifier);
  }

  /**
   * The partial a key's records are folded into, registering its id: the store's own, changed in place (the
   * writer commits a call before anything reads, see BatchWriter), or a new one. Folding records into it equals
   * merging a delta of them into it (the merges are associative and commutative), without the delta. An id the
   * identifier filter has never seen has no stored partial, so nothing is read for it; otherwise the stored
   * partial is asked for first: when there is one, the id is known (every registered id's identifier is written
   * with its first partial) and the identifier lookup is skipped; when there is none, `register` decides. A replay
   * reads nothing: it folds into a delta (see `ProjectionStore.heldDelta`), and notes every id.
   */
  private partial<T extends AnyPartial>(batch: ProjectionBatch, gen: number, kind: PartialKindCode, id: string, empty: () => T): T {
    let kinds = batch.partials.get(gen);
    if (kinds === undefined) {
      kinds = byKind();
      batch.partials.set(gen, kinds);
    }
    const partials = kinds[kind]!;
    let partial = partials.get(id);
    if (partial !== undefined) return partial as T;
    if (this.replaying) {
      partial = (this.store.heldDelta([gen, kind, id]) as T | undefined) ?? empty();
      this.register(batch, kind, id);
      partials.set(id, partial);
      return partial as T;
    }
    const registered = batch.registered[kind]!;
    const mayBeStored = registered.get(id) !== true && this.store.mayHaveIdentifier(kind, id);
    const stored = mayBeStored ? (this.store.getPartial([gen, kind, id]) as T | undefined) : undefined;
    if (stored !== undefined) registered.set(id, false);
    else this.register(batch, kind, id);
    partial = stored ?? empty();
    partials.set(id, partial);
    return partial as T;
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
      registered.set(id, this.store.noteIdentifier(kind, id));
      return;
    }
    // A known id is not kept in the map: the store answers it again from memory (the writer's known ids).
    if (this.store.hasIdentifier(kind, id)) return;
    registered.set(id, true);
    this.store.addIdentifier(kind, id);
    this.counters[COUNTER_OF[kind]]++;
  }
}
