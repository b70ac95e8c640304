// Rebuilds every projection from the log into scratch memory, compares it with the stored state, and repairs the store.

import { emptyCounters, type Counters } from '../schema/results.js';
import { canonicalJson } from '../schema/json-value.js';
import type { NormalizedRecord } from '../schema/record.js';
import type { DerivedStore } from '../storage/derived-store.js';
import type { CompiledComputed } from './computed.js';
import { MemoryProjectionStore, projectionKeyText, type PartialKindCode } from './projection-store.js';
import { Projector, type ProjectionBatch } from './projector.js';
import { mergedPartial, mergedUserState, type IdentifierPartial } from './partials.js';
import { PartialKind } from './projection-store.js';
import { unionSorted } from './sorted-set.js';
import { stateSessionsKey, userSessionsKey } from '../storage/projection-state.js';

/** Records per scratch batch, as the writer folds a call: each batch keeps a map of the ids it registered. */
const CHUNK = 10_000;

/** The identity counters a rebuild recomputes. */
export const PROJECTION_COUNTERS = ['profileIds', 'userIds', 'linkedProfileIds', 'sessions', 'accounts'] as const;

export class ProjectionRebuild {
  readonly store = new MemoryProjectionStore();
  readonly counters: Counters = emptyCounters();
  private readonly projector: Projector;
  private batch: ProjectionBatch;
  private pending = 0;

  constructor(computed: readonly CompiledComputed[], placeholders: ReadonlySet<string>, generationOf: (seq: number) => number) {
    this.projector = new Projector(this.store, computed, placeholders, this.counters, generationOf);
    this.batch = this.projector.begin();
  }

  add(record: NormalizedRecord, seq: number): void {
    this.projector.apply(this.batch, record, seq);
    if (++this.pending >= CHUNK) this.finish();
  }

  /** Ends a chunk: the next records start a batch of their own (its map of registered ids stays small). */
  private finish(): void {
    this.batch = this.projector.begin();
    this.pending = 0;
  }
}

/** Reports one difference, with the write that repairs it (rebuild runs the fixes of a report in one transaction). */
export type Note = (kind: 'projection' | 'counter', message: string, fix: () => void) => void;

/**
 * Reports every projection entry that differs from what the log implies —
 * stored but not implied, implied but missing, or different — each with its
 * fix. `counters` is the working copy a counter fix updates (the caller
 * persists it).
 */
export function compareProjections(
  storage: DerivedStore,
  rebuilt: ProjectionRebuild,
  counters: Counters,
  note: Note,
  consolidation: ConsolidationInVerify,
): void {
  const expected = rebuilt.store;
  // Generations before `consolidated` are in the states; those of the group being merged (from it to `until`) may be
  // in part: a chunk moves some keys, each with its partials in all of them. Their partials count as one, merged.
  const consolidated = consolidation.generations;
  const atEdgeGen = (gen: number): boolean => gen >= consolidated && gen < consolidation.until;
  const mergeAtEdge = (kind: PartialKindCode, into: unknown, value: unknown): unknown =>
    into === undefined ? value : mergedPartial(kind, into, value, consolidation.computed);
  const seenPartials = new Set<string>();
  const storedAtEdge = new Map<string, { kind: PartialKindCode; id: string; value: unknown }>();
  for (const { key, value } of storage.allPartials()) {
    const text = projectionKeyText(key);
    if (atEdgeGen(key[0])) {
      const keyText = projectionKeyText([key[1], key[2]]);
      storedAtEdge.set(keyText, { kind: key[1], id: key[2], value: mergeAtEdge(key[1], storedAtEdge.get(keyText)?.value, value) });
      continue;
    }
    const want = key[0] < consolidated ? undefined : expected.partials.get(text);
    if (want === undefined) {
      note('projection', `partial ${JSON.stringify(key)} is stored but the log implies none`, () => storage.removePartial(key));
      continue;
    }
    seenPartials.add(text);
    if (canonicalJson(want.value) !== canonicalJson(value))
      note('projection', `partial ${JSON.stringify(key)} differs from the log`, () => storage.putPartial(want.key, want.value));
  }
  const keys = new Map<string, [PartialKindCode, string]>();
  const below = new Map<string, unknown>();
  const atEdge = new Map<string, unknown>();
  for (const [text, want] of expected.partials) {
    const [gen, kind, id] = want.key;
    const keyText = projectionKeyText([kind, id]);
    if (gen < consolidated) {
      keys.set(keyText, [kind, id]);
      below.set(keyText, mergedPartial(kind, below.get(keyText), want.value, consolidation.computed));
    } else if (atEdgeGen(gen)) {
      keys.set(keyText, [kind, id]);
      atEdge.set(keyText, mergeAtEdge(kind, atEdge.get(keyText), want.value));
    } else if (!seenPartials.has(text)) {
      note('projection', `partial ${JSON.stringify(want.key)} is missing`, () => storage.putPartial(want.key, want.value));
    }
  }
  const states = new Map<string, unknown>();
  for (const { kind, id, value } of storage.allStates()) {
    const keyText = projectionKeyText([kind, id]);
    keys.set(keyText, [kind, id]);
    const identifier = kind === PartialKind.profileId || kind === PartialKind.userId;
    states.set(
      keyText,
      identifier ? listedForm(storage, stateSessionsKey(kind, id), value as IdentifierPartial, `state ${JSON.stringify([kind, id])}`, note) : value,
    );
  }
  for (const [keyText, { kind, id }] of storedAtEdge) if (!keys.has(keyText)) keys.set(keyText, [kind, id]);
  // States are rewritten by a repair's rewrite (which starts the consolidation over), so they carry no fix.
  for (const [keyText, [kind, id]] of keys) {
    compareState(
      kind,
      id,
      { state: states.get(keyText), edge: storedAtEdge.get(keyText)?.value },
      below.get(keyText),
      atEdge.get(keyText),
      consolidation,
      note,
    );
  }
  compareLinks(storage, expected, note);
  const pairs = [...storage.allMembers()];
  compareUserStates(storage, states, pairs, consolidation.computed, note);
  compareSessionSets(storage, states, note);
  const members = pairs.map(([userId, profileId]) => projectionKeyText([userId, profileId]));
  compareSets('member', members, expected.members, note, (key, add) => {
    const [userId, profileId] = key.split('\u0000') as [string, string];
    if (add) storage.addMember(userId, profileId);
    else storage.removeMember(userId, profileId);
  });
  const identifiers = [...storage.allIdentifiers()].map(([kind, id]) => projectionKeyText([kind, id]));
  // Sessions keep no identifier entry (the index's sessionId keys, verified with the index, are the sessions seen).
  const sessionPrefix = projectionKeyText([PartialKind.session, '']);
  const expectedIdentifiers = new Set([...expected.identifiers].filter((key) => !key.startsWith(sessionPrefix)));
  compareSets('identifier', identifiers, expectedIdentifiers, note, (key, add) => {
    const at = key.indexOf('\u0000');
    const kind = Number(key.slice(0, at)) as PartialKindCode;
    const id = key.slice(at + 1);
    if (add) storage.addIdentifier(kind, id);
    else storage.removeIdentifier(kind, id);
  });
  for (const name of PROJECTION_COUNTERS) {
    const want = rebuilt.counters[name];
    if (counters[name] !== want) {
      note('counter', `${name} counter is ${counters[name]}, the log implies ${want}`, () => {
        counters[name] = want;
      });
    }
  }
}

/**
 * Each user state a read would take (merged for the user's members now) against the merge of the stored states of
 * the user and its members (themselves checked against the log). One merged for other members is never read.
 */
function compareUserStates(
  storage: DerivedStore,
  states: ReadonlyMap<string, unknown>,
  pairs: readonly [string, string][],
  computed: readonly CompiledComputed[],
  note: Note,
): void {
  const membersOf = new Map<string, string[]>();
  for (const [userId, profileId] of pairs) {
    let list = membersOf.get(userId);
    if (list === undefined) membersOf.set(userId, (list = []));
    list.push(profileId);
  }
  for (const { userId, members, state } of storage.allUserStates()) {
    // A read takes a user's members from its user state (format 12): it must be merged for the stored ones.
    if (members !== storage.storedMembersText(userId))
      note('projection', `user state of userId ${userId} is merged for members it does not have`, () => undefined);
    const profileIds = (membersOf.get(userId) ?? []).sort();
    if (profileIds.join('\u0000') !== members) continue;
    const stored = listedForm(storage, userSessionsKey(userId), state as IdentifierPartial, `user state of userId ${userId}`, note);
    const want = mergedUserState(userId, profileIds, (kind, id) => states.get(projectionKeyText([kind, id])), computed);
    if (canonicalJson(want) !== canonicalJson(stored)) note('projection', `user state of userId ${userId} differs from its owners' states`, () => undefined);
  }
}

/** Each session set against the state it belongs to (a user state's, `u<userId>`): none may be left without it. */
function compareSessionSets(storage: DerivedStore, states: ReadonlyMap<string, unknown>, note: Note): void {
  const userStates = new Set(storage.userStateIds());
  for (const key of storage.sessionSetKeys()) {
    const owner = key.startsWith('u') ? userStates.has(key.slice(1)) : states.has(projectionKeyText([Number(key[0]), key.slice(1)]));
    if (!owner) note('projection', `session set ${JSON.stringify(key)} is stored without its state`, () => undefined);
  }
}

/**
 * A stored identifier state as the log implies it: every session listed (its own and its session set's), none
 * counted apart; reports a count that is not its set's size.
 */
function listedForm(storage: DerivedStore, key: string, state: IdentifierPartial, what: string, note: Note): IdentifierPartial {
  const set = storage.sessionSet(key);
  if (state.sessionCount !== set.length)
    note('projection', `${what} counts ${state.sessionCount} sessions apart, its session set holds ${set.length}`, () => undefined);
  return { ...state, sessions: unionSorted(state.sessions, set), sessionCount: 0 };
}

function compareLinks(storage: DerivedStore, expected: MemoryProjectionStore, note: Note): void {
  const seen = new Set<string>();
  for (const { key, value } of storage.allLinks()) {
    const want = expected.links.get(key);
    if (want === undefined) {
      note('projection', `link of profileId ${key} is stored but the log implies none`, () => storage.removeLink(key));
      continue;
    }
    seen.add(key);
    if (canonicalJson(want) !== canonicalJson(value)) note('projection', `link of profileId ${key} differs from the log`, () => storage.putLink(key, want));
  }
  for (const [profileId, link] of expected.links) {
    if (!seen.has(profileId)) note('projection', `link of profileId ${profileId} is missing`, () => storage.putLink(profileId, link));
  }
}

function compareSets(what: string, stored: string[], expected: ReadonlySet<string>, note: Note, write: (key: string, add: boolean) => void): void {
  const storedSet = new Set(stored);
  const show = (key: string): string => JSON.stringify(key.split('\u0000'));
  for (const key of storedSet) if (!expected.has(key)) note('projection', `${what} ${show(key)} is stored but the log implies none`, () => write(key, false));
  for (const key of expected) if (!storedSet.has(key)) note('projection', `${what} ${show(key)} is missing`, () => write(key, true));
}

/** The consolidation's progress as verify reads it (see `Consolidation` in storage.ts), and the computed attributes to merge with. */
export interface ConsolidationInVerify {
  generations: number;
  until: number;
  computed: readonly CompiledComputed[];
}

/**
 * One key's state and its partials in the group being consolidated (merged), against the log: either the state holds
 * the generations before the group and the partials are in place, or a chunk moved them and the state holds them too.
 */
function compareState(
  kind: PartialKindCode,
  id: string,
  stored: { state: unknown; edge: unknown },
  below: unknown,
  edge: unknown,
  consolidation: ConsolidationInVerify,
  note: Note,
): void {
  const same = (a: unknown, b: unknown): boolean => (a === undefined ? b === undefined : b !== undefined && canonicalJson(a) === canonicalJson(b));
  const moved = edge === undefined ? undefined : mergedPartial(kind, below, edge, consolidation.computed);
  if (same(stored.state, below) && same(stored.edge, edge)) return;
  if (moved !== undefined && stored.edge === undefined && same(stored.state, moved)) return;
  const key = JSON.stringify([kind, id]);
  if (!same(stored.state, below) && !(moved !== undefined && same(stored.state, moved))) {
    const what =
      stored.state === undefined ? 'is missing' : below === undefined && edge === undefined ? 'is stored but the log implies none' : 'differs from the log';
    note('projection', `state ${key} ${what}`, () => undefined);
    return;
  }
  const partial = JSON.stringify([consolidation.generations, kind, id]);
  const what = stored.edge === undefined ? 'is missing' : edge === undefined ? 'is stored but the log implies none' : 'differs from the log';
  note('projection', `partial ${partial} ${what}`, () => undefined);
}
