// Profiles, accounts and sessions as callers see them: the merge of the states and partial states of profiles and
// accounts over generations and identifiers, and the fold of a session's events.

import { ownersOf, unifiedIdOf, type IdentityReader, type Owner, type UnifiedIdentity } from '../identity/identity-graph.js';
import type { JsonValue } from '../schema/json-value.js';
import { formatTimestamp } from '../schema/timestamp.js';
import { emptyRecord, resolveAttributes, setOwn, type AttributeValue } from './attributes.js';
import { computedValue, emptyComputedValue, type CompiledComputed } from './computed.js';
import {
  addEventToSession,
  emptyAccount,
  emptyIdentifier,
  emptySession,
  mergeAccountInto,
  mergeIdentifierInto,
  type AccountPartial,
  type IdentifierPartial,
  type SessionPartial,
} from './partials.js';
import { nameCountsRecord } from './name-counts.js';
import { PartialKind, type PartialKey, type PartialKindCode } from './projection-store.js';
import { stateSessionsKey, userSessionsKey } from '../storage/projection-state.js';
import { sessionCountOf, type HiddenSessions } from './session-tally.js';

/** A unified profile: one userId with its profileIds, or a lone profileId. */
export interface Profile {
  /** The userId, or the lone profileId. */
  id: string;
  userId?: string;
  profileIds: string[];
  /** ISO-8601 times of the first and last behavioural event; null when there is none. */
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  sessionCount: number;
  accounts: string[];
  /** Behavioural events per eventName. */
  eventCounts: Record<string, number>;
  /** Each attribute's value with the source, time and record that set it. */
  attributes: Record<string, AttributeValue>;
  /** Computed attributes declared at open. */
  computed: Record<string, JsonValue>;
}

export interface Account {
  accountId: string;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  /** Unified profile ids of the members. */
  members: string[];
  attributes: Record<string, AttributeValue>;
}

export interface Session {
  sessionId: string;
  /** The unified profile of the session's earliest event; null when it identified nobody. */
  profileId: string | null;
  /** Every unified profile seen in the session. */
  profiles: string[];
  start: string | null;
  end: string | null;
  durationMs: number;
  eventCount: number;
  /** Distinct pageIds, sorted. */
  pages: string[];
}

/** What the views read. */
export interface ViewSource extends IdentityReader {
  getPartial(key: PartialKey): unknown;
  /**
   * A key's state: its consolidated generations (those before `firstGeneration()`), and its partial of the one
   * at it when a chunk already moved it; undefined without a read while nothing was ever consolidated. Decoded
   * for this read: the caller may keep and change it.
   */
  getState(kind: PartialKindCode, id: string): unknown;
  /** The first generation whose partials are read one by one: the ones before it are in the states. */
  firstGeneration(): number;
  lastGeneration(): number;
  /**
   * The merge of the states (as `getState` reads them) of a user and of its profileIds, when the consolidation
   * stored one for exactly these `members` (sorted, NUL-joined); else undefined. Decoded for this read.
   */
  getUserState(userId: string, members: string): unknown;
  /** A session set: the sessions a state counts without listing them (see `IdentifierPartial.sessionCount`). */
  sessionSet(key: string): readonly string[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : formatTimestamp(ms));

/**
 * Folds a key's state over the consolidated generations (`state`, as `getState` read it, or undefined: none, or the
 * caller has it merged already), then its partial of each later generation, into `into` (undefined: none yet) and
 * returns it; undefined when there is none. The first state found becomes the result itself (it is decoded for
 * this read) instead of being copied into an empty one; a partial may be the writer's own, in its window, and is
 * only ever merged from.
 */
function gather<T>(
  source: ViewSource,
  kind: PartialKindCode,
  id: string,
  mergeInto: (into: T, from: T, computed: readonly CompiledComputed[]) => void,
  empty: () => T,
  into: T | undefined,
  state: T | undefined,
  computed: readonly CompiledComputed[] = [],
): T | undefined {
  if (state !== undefined) {
    if (into === undefined) into = state;
    else mergeInto(into, state, computed);
  }
  for (let gen = source.firstGeneration(), last = source.lastGeneration(); gen <= last; gen++) {
    const partial = source.getPartial([gen, kind, id]) as T | undefined;
    if (partial === undefined) continue;
    into ??= empty();
    mergeInto(into, partial, computed);
  }
  return into;
}

export function buildProfile(source: ViewSource, identity: UnifiedIdentity, computed: readonly CompiledComputed[]): Profile {
  // A user's consolidated states come merged in one read while the consolidation's merge is for its members now.
  const userState =
    identity.userId === undefined ? undefined : (source.getUserState(identity.userId, identity.profileIds.join('\u0000')) as IdentifierPartial | undefined);
  // The sessions the states count without listing them: the gathered state lists only those of the partials.
  const hidden: HiddenSessions[] = [];
  if (userState !== undefined && userState.sessionCount > 0) hidden.push({ key: userSessionsKey(identity.userId!), count: userState.sessionCount });
  let gathered = userState;
  for (const owner of ownersOf(identity)) {
    const kind = owner.startsWith('u:') ? PartialKind.userId : PartialKind.profileId;
    const id = owner.slice(2);
    const ownState = userState === undefined ? (source.getState(kind, id) as IdentifierPartial | undefined) : undefined;
    if (ownState !== undefined && ownState.sessionCount > 0) hidden.push({ key: stateSessionsKey(kind, id), count: ownState.sessionCount });
    gathered = gather(source, kind, id, mergeIdentifierInto, emptyIdentifier, gathered, ownState, computed);
  }
  const state = gathered ?? emptyIdentifier();
  const computedOut = emptyRecord<JsonValue>();
  for (const def of computed) {
    const acc = Object.hasOwn(state.computed, def.name) ? state.computed[def.name] : undefined;
    setOwn(computedOut, def.name, acc === undefined ? emptyComputedValue(def.op) : computedValue(def.op, acc));
  }
  const profile: Profile = {
    id: identity.id,
    profileIds: identity.profileIds,
    firstSeen: iso(state.first),
    lastSeen: iso(state.last),
    eventCount: state.count,
    sessionCount: sessionCountOf(state.sessions, hidden, source),
    accounts: state.accounts,
    eventCounts: nameCountsRecord(state.names),
    attributes: resolveAttributes(state),
    computed: computedOut,
  };
  if (identity.userId !== undefined) profile.userId = identity.userId;
  return profile;
}

export function buildAccount(source: ViewSource, accountId: string): Account | undefined {
  const stored = source.getState(PartialKind.account, accountId) as AccountPartial | undefined;
  const state = gather(source, PartialKind.account, accountId, mergeAccountInto, emptyAccount, undefined, stored);
  if (state === undefined) return undefined;
  return {
    accountId,
    firstSeen: iso(state.first),
    lastSeen: iso(state.last),
    eventCount: state.count,
    members: unifiedIds(source, state.members),
    attributes: resolveAttributes(state),
  };
}

/** One event of a session, as `buildSession` folds it. */
export interface SessionEvent {
  time: number;
  eventId: string;
  pageId: string | undefined;
  owner: Owner;
}

/**
 * A session folded from its events (any order: the fold is order-independent), or undefined when it has none. A
 * session keeps no state of its own: most hold a few events, and ingest then writes nothing per session.
 */
export function buildSession(source: IdentityReader, sessionId: string, events: Iterable<SessionEvent>): Session | undefined {
  let state: SessionPartial | undefined;
  for (const { time, eventId, pageId, owner } of events) {
    state ??= emptySession();
    addEventToSession(state, time, eventId, pageId, owner);
  }
  if (state === undefined) return undefined;
  const owner = state.firstEvent?.o ?? '';
  return {
    sessionId,
    profileId: owner === '' ? null : unifiedIdOf(source, owner),
    profiles: unifiedIds(source, state.owners),
    start: iso(state.first),
    end: iso(state.last),
    durationMs: state.first === null || state.last === null ? 0 : state.last - state.first,
    eventCount: state.count,
    pages: state.pages,
  };
}

function unifiedIds(source: IdentityReader, owners: readonly string[]): string[] {
  return [...new Set(owners.map((owner) => unifiedIdOf(source, owner)))].sort();
}
