// Partial states: what one identifier or account accumulates in one generation, merged they give the full state; and
// a session's fold, which a read computes from its events (store format 14 stores none).

import type { JsonObject } from '../schema/json-value.js';
import type { AttributeUpdate } from '../schema/record.js';
import { isLater } from '../schema/event-order.js';
import { applyUpdate, mergeAttributes, NO_ENTRIES, ownRecord, setOwn, type AttributeState } from './attributes.js';
import { accumulate, mergeAccumulators, type Accumulator, type CompiledComputed } from './computed.js';
import type { Owner } from '../identity/identity-graph.js';
import { addNameCount, mergedNameCounts, type NameCounts } from './name-counts.js';
import { insertSorted, unionSorted } from './sorted-set.js';
import { PartialKind, type PartialKindCode } from './projection-store.js';

/** Activity: behavioural events only. `first`/`last` are epoch ms, null before any event. */
interface Activity {
  first: number | null;
  last: number | null;
  count: number;
}

/** What one identifier (a profileId or a userId) accumulates. */
export interface IdentifierPartial extends Activity, AttributeState {
  /** Behavioural events per eventName (name-counts.ts). */
  names: NameCounts;
  /** Sessions listed here: all of them in a partial (one generation's), none in a state (see `sessionCount`). */
  sessions: string[];
  /**
   * Sessions counted but not listed: a state's are kept beside it (its session set, see storage/derived-store.ts),
   * so its size does not grow with its sessions. 0 in a partial; merges leave it alone (two hidden sets may overlap):
   * whoever merges states takes the sets in (session-tally.ts).
   */
  sessionCount: number;
  accounts: string[];
  computed: Record<string, Accumulator>;
}

/** What one session accumulates: folded by a read from its events (`buildSession`); stored only by format 13 and before. */
export interface SessionPartial extends Activity {
  pages: string[];
  /** Owners seen in the session. */
  owners: Owner[];
  /** The earliest event's (time, eventId, owner); owner '' when it identified nobody. */
  firstEvent: { t: number; e: string; o: Owner } | null;
}

/** What one account accumulates. */
export interface AccountPartial extends Activity, AttributeState {
  members: Owner[];
}

// Literals with every field, in one order: objects of one shape keep property access fast. Accumulators and
// attribute registers start as the shared empty record (attributes.ts, `NO_ENTRIES`).

export function emptyIdentifier(): IdentifierPartial {
  return {
    first: null,
    last: null,
    count: 0,
    names: [],
    sessions: [],
    sessionCount: 0,
    accounts: [],
    computed: NO_ENTRIES,
    latest: NO_ENTRIES,
    once: NO_ENTRIES,
  };
}

export function emptySession(): SessionPartial {
  return { first: null, last: null, count: 0, pages: [], owners: [], firstEvent: null };
}

export function emptyAccount(): AccountPartial {
  return { first: null, last: null, count: 0, members: [], latest: NO_ENTRIES, once: NO_ENTRIES };
}

function touch(activity: Activity, time: number): void {
  activity.first = activity.first === null ? time : Math.min(activity.first, time);
  activity.last = activity.last === null ? time : Math.max(activity.last, time);
  activity.count++;
}

/**
 * The fields of an event the projections read: the record itself is passed (no object per event), and a behavioural
 * record always has its eventName and sessionId.
 */
export interface ProjectedEvent {
  time: number;
  eventId: string;
  eventName?: string;
  sessionId?: string;
  accountId?: string;
  data?: JsonObject;
}

/** Folds a behavioural event into its owner's partial (mutated). */
export function addEventToIdentifier(partial: IdentifierPartial, event: ProjectedEvent, computed: readonly CompiledComputed[]): void {
  touch(partial, event.time);
  partial.names = addNameCount(partial.names, event.eventName!, 1);
  partial.sessions = insertSorted(partial.sessions, event.sessionId!);
  if (event.accountId !== undefined) partial.accounts = insertSorted(partial.accounts, event.accountId);
  for (const def of computed) {
    if (def.eventName !== event.eventName) continue;
    const acc = accumulate(def, event.data, event.time, event.eventId);
    if (acc === undefined) continue;
    partial.computed = ownRecord(partial.computed);
    const current = Object.hasOwn(partial.computed, def.name) ? partial.computed[def.name] : undefined;
    setOwn(partial.computed, def.name, current === undefined ? acc : mergeAccumulators(def.op, current, acc));
  }
}

/** Folds one of a session's events into the session's fold (see `buildSession`; mutated). */
export function addEventToSession(partial: SessionPartial, time: number, eventId: string, pageId: string | undefined, owner: Owner): void {
  touch(partial, time);
  if (pageId !== undefined) partial.pages = insertSorted(partial.pages, pageId);
  if (owner !== '') partial.owners = insertSorted(partial.owners, owner);
  const first = partial.firstEvent;
  if (first === null || isLater(first.t, first.e, time, eventId)) partial.firstEvent = { t: time, e: eventId, o: owner };
}

export function addEventToAccount(partial: AccountPartial, event: ProjectedEvent, owner: Owner): void {
  touch(partial, event.time);
  if (owner !== '') partial.members = insertSorted(partial.members, owner);
}

export function addUpdate(partial: AttributeState, update: AttributeUpdate, time: number, eventId: string, source: string): void {
  applyUpdate(partial, update, time, eventId, source);
}

function mergeActivity(into: Activity, from: Activity): void {
  if (from.first !== null) into.first = into.first === null ? from.first : Math.min(into.first, from.first);
  if (from.last !== null) into.last = into.last === null ? from.last : Math.max(into.last, from.last);
  into.count += from.count;
}

// Reads gather a key's partials (one per generation, and one per identifier of a unified profile) into a fresh
// state of their own: each merge folds one stored partial into it. A read never changes a stored partial (it may be
// the writer's own, in its window), and arrays taken from one are replaced, never mutated: nothing a read returns
// shares a mutable array or record with the writer's state.

/** Folds `from` into `into` (mutated). Associative and commutative. */
export function mergeIdentifierInto(into: IdentifierPartial, from: IdentifierPartial, computed: readonly CompiledComputed[]): void {
  mergeActivity(into, from);
  into.names = mergedNameCounts(into.names, from.names);
  into.sessions = unionSorted(into.sessions, from.sessions);
  into.accounts = unionSorted(into.accounts, from.accounts);
  for (const def of computed) {
    const x = Object.hasOwn(into.computed, def.name) ? into.computed[def.name] : undefined;
    const y = Object.hasOwn(from.computed, def.name) ? from.computed[def.name] : undefined;
    if (y === undefined) continue;
    into.computed = ownRecord(into.computed);
    setOwn(into.computed, def.name, x === undefined ? y : mergeAccumulators(def.op, x, y));
  }
  mergeAttributes(into, from);
}

export function mergeSessionInto(into: SessionPartial, from: SessionPartial): void {
  mergeActivity(into, from);
  into.pages = unionSorted(into.pages, from.pages);
  into.owners = unionSorted(into.owners, from.owners);
  const x = into.firstEvent;
  const y = from.firstEvent;
  if (y !== null && (x === null || isLater(x.t, x.e, y.t, y.e))) into.firstEvent = y;
}

export function mergeAccountInto(into: AccountPartial, from: AccountPartial): void {
  mergeActivity(into, from);
  into.members = unionSorted(into.members, from.members);
  mergeAttributes(into, from);
}

/**
 * A user state: the merge of the states of a user and of its profileIds (`profileIds` sorted, as stored), each
 * taken from `stateOf` (undefined: none).
 */
export function mergedUserState(
  userId: string,
  profileIds: readonly string[],
  stateOf: (kind: PartialKindCode, id: string) => unknown,
  computed: readonly CompiledComputed[],
): IdentifierPartial {
  const merged = emptyIdentifier();
  const owners: [PartialKindCode, string][] = [[PartialKind.userId, userId], ...profileIds.map((id): [PartialKindCode, string] => [PartialKind.profileId, id])];
  for (const [kind, id] of owners) {
    const state = stateOf(kind, id) as IdentifierPartial | undefined;
    if (state !== undefined) mergeIdentifierInto(merged, state, computed);
  }
  return merged;
}
/** Folds `from` into `into` (mutated), both partials of `kind`. */
export function mergePartialInto(kind: PartialKindCode, into: unknown, from: unknown, computed: readonly CompiledComputed[]): void {
  if (kind === PartialKind.session) mergeSessionInto(into as SessionPartial, from as SessionPartial);
  else if (kind === PartialKind.account) mergeAccountInto(into as AccountPartial, from as AccountPartial);
  else mergeIdentifierInto(into as IdentifierPartial, from as IdentifierPartial, computed);
}

/**
 * A fresh state of `kind` holding `state` (the merge so far, if any) and `from`: how the consolidation folds a
 * closed generation's partial into a key's state, and how verify computes the states it expects.
 */
export function mergedPartial(kind: PartialKindCode, state: unknown, from: unknown, computed: readonly CompiledComputed[]): unknown {
  const into = kind === PartialKind.session ? emptySession() : kind === PartialKind.account ? emptyAccount() : emptyIdentifier();
  if (state !== undefined) mergePartialInto(kind, into, state, computed);
  mergePartialInto(kind, into, from, computed);
  return into;
}
