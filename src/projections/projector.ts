// Keeps profiles, accounts, sessions and the identity graph up to date, in the same transaction as the records.

import type { Counters } from '../schema/results.js';
import type { NormalizedRecord } from '../schema/record.js';
import { isPlaceholder } from '../schema/validate.js';
import { profileOwner, recordLink, userOwner, type Owner } from '../identity/identity-graph.js';
import { generationOf } from '../storage/keys.js';
import type { CompiledComputed } from './computed.js';
import {
  addEventToAccount,
  addEventToIdentifier,
  addEventToSession,
  addUpdate,
  emptyAccount,
  emptyIdentifier,
  emptySession,
  mergeAccounts,
  mergeIdentifiers,
  mergeSessions,
  type AccountPartial,
  type IdentifierPartial,
  type ProjectedEvent,
  type SessionPartial,
} from './partials.js';
import { PartialKind, type PartialKey, type PartialKindCode, type ProjectionStore } from './projection-store.js';

type AnyPartial = IdentifierPartial | SessionPartial | AccountPartial;

/** What one write call changes, folded per key before it is merged into the stored partials. */
export interface ProjectionBatch {
  /** Deltas by generation, then by kind code (index), then by id: no key strings are built per event. */
  deltas: Map<number, Map<string, AnyPartial>[]>;
  /** By kind code: ids registered by this batch, true when first seen in it (so no stored partial state can exist). */
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
    private readonly enabled = true,
  ) {}

  begin(): ProjectionBatch {
    return { deltas: new Map(), registered: byKind() };
  }

  /** Folds one accepted record into the batch. Product payloads touch no profile. */
  apply(batch: ProjectionBatch, record: NormalizedRecord, seq: number): void {
    if (!this.enabled) return;
    const gen = generationOf(seq);
    if (record.kind === 'event') this.applyEvent(batch, record, gen);
    else if (record.kind === 'attributes') this.applyAttributes(batch, record, gen);
  }

  /** Merges the batch's deltas into the stored partials (issued with the batch's other writes). */
  flush(batch: ProjectionBatch): void {
    for (const [gen, kinds] of batch.deltas) {
      for (let kind = 1 as PartialKindCode; kind <= 4; kind++) {
        const registered = batch.registered[kind]!;
        for (const [id, partial] of kinds[kind]!) {
          const key: PartialKey = [gen, kind, id];
          const stored = registered.get(id) === true ? undefined : this.store.getPartial(key);
          this.store.putPartial(key, stored === undefined ? partial : this.merge(kind, stored, partial));
        }
      }
    }
  }

  private merge(kind: PartialKindCode, stored: unknown, delta: unknown): unknown {
    if (kind === PartialKind.session) return mergeSessions(stored as SessionPartial, delta as SessionPartial);
    if (kind === PartialKind.account) return mergeAccounts(stored as AccountPartial, delta as AccountPartial);
    return mergeIdentifiers(stored as IdentifierPartial, delta as IdentifierPartial, this.computed);
  }

  private applyEvent(batch: ProjectionBatch, record: NormalizedRecord, gen: number): void {
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
      const partial = this.identifierDelta(batch, gen, owner);
      addEventToIdentifier(partial, event, this.computed);
      if (record.attributes !== undefined) addUpdate(partial, record.attributes, record.time, record.eventId, 'event');
    }
    this.register(batch, PartialKind.session, event.sessionId);
    addEventToSession(this.delta(batch, gen, PartialKind.session, event.sessionId, emptySession), event, record.pageId, owner);
    if (record.accountId !== undefined) {
      this.register(batch, PartialKind.account, record.accountId);
      const account = this.delta(batch, gen, PartialKind.account, record.accountId, emptyAccount);
      addEventToAccount(account, event, owner);
      if (record.accountAttributes !== undefined) addUpdate(account, record.accountAttributes, record.time, record.eventId, 'event');
    }
  }

  private applyAttributes(batch: ProjectionBatch, record: NormalizedRecord, gen: number): void {
    const source = record.source ?? 'api';
    if (record.accountId !== undefined) {
      this.register(batch, PartialKind.account, record.accountId);
      addUpdate(this.delta(batch, gen, PartialKind.account, record.accountId, emptyAccount), record.accountAttributes!, record.time, record.eventId, source);
      return;
    }
    const owner = ownerOf(record, this.placeholders);
    if (owner !== '') addUpdate(this.identifierDelta(batch, gen, owner), record.attributes!, record.time, record.eventId, source);
  }

  /** An event carrying both a profileId and a userId links them (placeholders never link). */
  private linkIfBoth(batch: ProjectionBatch, record: NormalizedRecord): void {
    const { profileId, userId } = record;
    if (profileId === undefined || isPlaceholder(profileId, this.placeholders)) return;
    this.register(batch, PartialKind.profileId, profileId);
    if (userId === undefined || isPlaceholder(userId, this.placeholders)) return;
    if (recordLink(this.store, profileId, userId, record.time, record.eventId)) this.counters.linkedProfileIds++;
  }

  private identifierDelta(batch: ProjectionBatch, gen: number, owner: Owner): IdentifierPartial {
    const kind = owner.startsWith('u:') ? PartialKind.userId : PartialKind.profileId;
    const id = owner.slice(2);
    this.register(batch, kind, id);
    return this.delta(batch, gen, kind, id, emptyIdentifier);
  }

  private delta<T extends AnyPartial>(batch: ProjectionBatch, gen: number, kind: PartialKindCode, id: string, empty: () => T): T {
    let kinds = batch.deltas.get(gen);
    if (kinds === undefined) {
      kinds = byKind();
      batch.deltas.set(gen, kinds);
    }
    const deltas = kinds[kind]!;
    let partial = deltas.get(id);
    if (partial === undefined) {
      partial = empty();
      deltas.set(id, partial);
    }
    return partial as T;
  }

  /** Counts an identifier, session or account the first time it is seen. */
  private register(batch: ProjectionBatch, kind: PartialKindCode, id: string): void {
    const registered = batch.registered[kind]!;
    if (registered.has(id)) return;
    const isNew = !this.store.hasIdentifier(kind, id);
    registered.set(id, isNew);
    if (!isNew) return;
    this.store.addIdentifier(kind, id);
    this.counters[COUNTER_OF[kind]]++;
  }
}
