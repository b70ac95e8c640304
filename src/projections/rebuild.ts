// Rebuilds every projection from the log into scratch memory, compares it with the stored state, and repairs the store.

import { emptyCounters, type Counters } from '../schema/results.js';
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

/** Reports one difference, with the write that repairs it (rebuild runs the fixes of a report in one transaction). */
export type Note = (kind: 'projection' | 'counter', message: string, fix: () => void) => void;

/**
 * Reports every projection entry that differs from what the log implies —
 * stored but not implied, implied but missing, or different — each with its
 * fix. `counters` is the working copy a counter fix updates (the caller
 * persists it).
 */
export function compareProjections(storage: DerivedStore, rebuilt: ProjectionRebuild, counters: Counters, note: Note): void {
  const expected = rebuilt.store;
  const seenPartials = new Set<string>();
  for (const { key, value } of storage.allPartials()) {
    const text = projectionKeyText(key);
    const want = expected.partials.get(text);
    if (want === undefined) {
      note('projection', `partial ${JSON.stringify(key)} is stored but the log implies none`, () => storage.removePartial(key));
      continue;
    }
    seenPartials.add(text);
    if (canonicalJson(want.value) !== canonicalJson(value))
      note('projection', `partial ${JSON.stringify(key)} differs from the log`, () => storage.putPartial(want.key, want.value));
  }
  for (const [text, want] of expected.partials) {
    if (!seenPartials.has(text)) note('projection', `partial ${JSON.stringify(want.key)} is missing`, () => storage.putPartial(want.key, want.value));
  }
  compareLinks(storage, expected, note);
  const members = [...storage.allMembers()].map(([userId, profileId]) => projectionKeyText([userId, profileId]));
  compareSets('member', members, expected.members, note, (key, add) => {
    const [userId, profileId] = key.split('\u0000') as [string, string];
    if (add) storage.addMember(userId, profileId);
    else storage.removeMember(userId, profileId);
  });
  const identifiers = [...storage.allIdentifiers()].map(([kind, id]) => projectionKeyText([kind, id]));
  compareSets('identifier', identifiers, expected.identifiers, note, (key, add) => {
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
