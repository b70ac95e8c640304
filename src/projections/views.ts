// Profiles, accounts and sessions as callers see them: the merge of their states and partial states over generations and identifiers.

import { ownersOf, unifiedIdOf, type IdentityReader, type UnifiedIdentity } from '../identity/identity-graph.js';
import type { JsonValue } from '../schema/json-value.js';
import { emptyRecord, resolveAttributes, setOwn, type AttributeValue } from './attributes.js';
import { computedValue, emptyComputedValue, type CompiledComputed } from './computed.js';
import {
  emptyAccount,
  emptyIdentifier,
  emptySession,
  mergeAccountInto,
  mergeIdentifierInto,
  mergeSessionInto,
  type AccountPartial,
  type IdentifierPartial,
  type SessionPartial,
} from './partials.js';
import { PartialKind, type PartialKey, type PartialKindCode } from './projection-store.js';

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
   * at it when a chunk already moved it; undefined without a read while nothing was ever consolidated.
   */
  getState(kind: PartialKindCode, id: string): unknown;
  /** The first generation whose partials are read one by one: the ones before it are in the states. */
  firstGeneration(): number;
  lastGeneration(): number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Folds a key's state over the consolidated generations, then its partial of each later generation, into `into`
 * (a fresh state); false when there is none.
 */
function gather<T>(source: ViewSource, kind: PartialKindCode, id: string, mergeInto: (into: T, from: T) => void, into: T): boolean {
  let found = false;
  const state = source.getState(kind, id) as T | undefined;
  if (state !== undefined) {
    mergeInto(into, state);
    found = true;
  }
  for (let gen = source.firstGeneration(); gen <= source.lastGeneration(); gen++) {
    const partial = source.getPartial([gen, kind, id]) as T | undefined;
    if (partial === undefined) continue;
    mergeInto(into, partial);
    found = true;
  }
  return found;
}

export function buildProfile(source: ViewSource, identity: UnifiedIdentity, computed: readonly CompiledComputed[]): Profile {
  const state = emptyIdentifier();
  const mergeInto = (into: IdentifierPartial, from: IdentifierPartial): void => mergeIdentifierInto(into, from, computed);
  for (const owner of ownersOf(identity)) {
    const kind = owner.startsWith('u:') ? PartialKind.userId : PartialKind.profileId;
    gather(source, kind, owner.slice(2), mergeInto, state);
  }
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
    sessionCount: state.sessions.length,
    accounts: state.accounts,
    eventCounts: Object.assign({}, state.names),
    attributes: resolveAttributes(state),
    computed: computedOut,
  };
  if (identity.userId !== undefined) profile.userId = identity.userId;
  return profile;
}

export function buildAccount(source: ViewSource, accountId: string): Account | undefined {
  const state = emptyAccount();
  if (!gather<AccountPartial>(source, PartialKind.account, accountId, mergeAccountInto, state)) return undefined;
  return {
    accountId,
    firstSeen: iso(state.first),
    lastSeen: iso(state.last),
    eventCount: state.count,
    members: unifiedIds(source, state.members),
    attributes: resolveAttributes(state),
  };
}

export function buildSession(source: ViewSource, sessionId: string): Session | undefined {
  const state = emptySession();
  if (!gather<SessionPartial>(source, PartialKind.session, sessionId, mergeSessionInto, state)) return undefined;
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

function unifiedIds(source: ViewSource, owners: readonly string[]): string[] {
  return [...new Set(owners.map((owner) => unifiedIdOf(source, owner)))].sort();
}
