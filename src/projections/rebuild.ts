// Rebuilds every projection from the log into scratch memory, compares it with the stored state, and repairs the store.

import { emptyCounters, type Counters } from '../ingest/results.js';
import { canonicalJson } from '../schema/json-value.js';
import type { NormalizedRecord } from '../schema/record.js';
import type { DerivedStore } from '../storage/derived-store.js';
import type { CompiledComputed } from './computed.js';
import { MemoryProjectionStore, projectionKeyText, type PartialKindCode } from './projection-store.js';
import { Projector, type ProjectionBatch } from './projector.js';

/** Records per scratch batch: the same fold-then-merge path the writer takes. */
const CHUNK = 10_000;

/** The identity counters a rebuild recomputes. */
export const PROJECTION_COUNTERS = ['profileIds', 'userIds', 'linkedProfileIds', 'sessions', 'accounts'] as const;

export class ProjectionRebuild {
  readonly store = new MemoryProjectionStore();
  readonly counters: Counters = emptyCounters();
  private readonly projector: Projector;
  private batch: ProjectionBatch;
  private pending = 0;

  constructor(computed: readonly CompiledComputed[], placeholders: ReadonlySet<string>) {
    this.projector = new Projector(this.store, computed, placeholders, this.counters);
    this.batch = this.projector.begin();
  }

  add(record: NormalizedRecord, seq: number): void {
    this.projector.apply(this.batch, record, seq);
    if (++this.pending >= CHUNK) this.finish();
  }

  finish(): void {
    this.projector.flush(this.batch);
    this.batch = this.projector.begin();
    this.pending = 0;
  }
}

export type Note = (kind: 'projection' | 'counter', message: string) => void;

/** Reports every projection entry that differs from what the log implies. */
export function compareProjections(storage: DerivedStore, rebuilt: ProjectionRebuild, counters: Counters, note: Note): void {
  const expected = rebuilt.store;
  let seen = 0;
  for (const { key, value } of storage.allPartials()) {
    const want = expected.partials.get(projectionKeyText(key));
    if (want === undefined) note('projection', `partial ${JSON.stringify(key)} is stored but the log implies none`);
    else if (canonicalJson(want.value) !== canonicalJson(value)) note('projection', `partial ${JSON.stringify(key)} differs from the log`);
    if (want !== undefined) seen++;
  }
  if (seen !== expected.partials.size) note('projection', `${expected.partials.size - seen} partial states implied by the log are missing`);
  compareLinks(storage, expected, note);
  compareSets('member', [...storage.allMembers()].map(projectionKeyText), expected.members, note);
  compareSets('identifier', [...storage.allIdentifiers()].map(projectionKeyText), expected.identifiers, note);
  for (const name of PROJECTION_COUNTERS) {
    if (counters[name] !== rebuilt.counters[name]) note('counter', `${name} counter is ${counters[name]}, the log implies ${rebuilt.counters[name]}`);
  }
}

function compareLinks(storage: DerivedStore, expected: MemoryProjectionStore, note: Note): void {
  let seen = 0;
  for (const { key, value } of storage.allLinks()) {
    const want = expected.links.get(key);
    if (want === undefined || canonicalJson(want) !== canonicalJson(value)) note('projection', `link of profileId ${key} differs from the log`);
    else seen++;
  }
  if (seen !== expected.links.size) note('projection', `${expected.links.size - seen} links implied by the log are missing or differ`);
}

function compareSets(what: string, stored: string[], expected: ReadonlySet<string>, note: Note): void {
  const storedSet = new Set(stored);
  for (const key of storedSet) if (!expected.has(key)) note('projection', `${what} ${JSON.stringify(key.split('\u0000'))} is stored but the log implies none`);
  for (const key of expected) if (!storedSet.has(key)) note('projection', `${what} ${JSON.stringify(key.split('\u0000'))} is missing`);
}

/** Makes the stored projections equal to the rebuilt ones, in the writer's synchronous stage (a checkpoint writes them). */
export function repairProjections(storage: DerivedStore, rebuilt: ProjectionRebuild, counters: Counters): void {
  const expected = rebuilt.store;
  for (const { key } of storage.allPartials()) if (!expected.partials.has(projectionKeyText(key))) storage.removePartial(key);
  for (const { key, value } of expected.partials.values()) storage.putPartial(key, value);
  for (const { key } of storage.allLinks()) if (!expected.links.has(key)) storage.removeLink(key);
  for (const [profileId, link] of expected.links) storage.putLink(profileId, link);
  for (const [userId, profileId] of storage.allMembers()) {
    if (!expected.members.has(projectionKeyText([userId, profileId]))) storage.removeMember(userId, profileId);
  }
  for (const key of expected.members) {
    const [userId, profileId] = key.split('\u0000') as [string, string];
    storage.addMember(userId, profileId);
  }
  for (const [kind, id] of storage.allIdentifiers()) {
    if (!expected.identifiers.has(projectionKeyText([kind, id]))) storage.removeIdentifier(kind as PartialKindCode, id);
  }
  for (const key of expected.identifiers) {
    const [kind, id] = key.split('\u0000') as [string, string];
    storage.addIdentifier(Number(kind) as PartialKindCode, id);
  }
  for (const name of PROJECTION_COUNTERS) counters[name] = rebuilt.counters[name];
}
