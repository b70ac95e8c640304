// Where projections live: LMDB and memory for the store (storage/derived-store.ts), plain maps for verify's scratch rebuild (here). Both answer
// the calls of `ProjectionStore`, declared in storage/projection-state.ts so that storage and identity need not import projections.

import { PartialKind, type Link, type PartialKey, type PartialKindCode, type ProjectionStore } from '../storage/projection-state.js';

export { PartialKind, type Link, type PartialKey, type PartialKindCode, type ProjectionStore };

const keyText = (parts: readonly (string | number)[]): string => parts.join('\u0000');

/** The scratch store of verify and rebuild: everything in maps, keyed like LMDB. */
export class MemoryProjectionStore implements ProjectionStore {
  readonly partials = new Map<string, { key: PartialKey; value: unknown }>();
  readonly links = new Map<string, Link>();
  readonly members = new Set<string>();
  readonly identifiers = new Set<string>();

  getPartial(key: PartialKey): unknown {
    return this.partials.get(keyText(key))?.value;
  }

  putPartial(key: PartialKey, value: unknown): void {
    this.partials.set(keyText(key), { key, value });
  }

  // Everything is held here: a delta is the whole partial.

  putDelta(key: PartialKey, delta: unknown): void {
    this.putPartial(key, delta);
  }

  foldTarget(gen: number, kind: PartialKindCode, id: string): unknown {
    return this.getPartial([gen, kind, id]);
  }

  getLink(profileId: string): Link | undefined {
    return this.links.get(profileId);
  }

  putLink(profileId: string, link: Link): void {
    this.links.set(profileId, link);
  }

  addMember(userId: string, profileId: string): void {
    this.members.add(keyText([userId, profileId]));
  }

  removeMember(userId: string, profileId: string): void {
    this.members.delete(keyText([userId, profileId]));
  }

  hasIdentifier(kind: PartialKindCode, id: string): boolean {
    return this.identifiers.has(keyText([kind, id]));
  }

  addIdentifier(kind: PartialKindCode, id: string): void {
    this.identifiers.add(keyText([kind, id]));
  }

  noteIdentifier(kind: PartialKindCode, id: string): boolean {
    const isNew = !this.hasIdentifier(kind, id);
    this.addIdentifier(kind, id);
    return isNew;
  }

  // Sessions are kept with the identifiers here: the counters a rebuild computes count them.

  hasSession(id: string): boolean {
    return this.hasIdentifier(PartialKind.session, id);
  }

  addSession(id: string): void {
    this.addIdentifier(PartialKind.session, id);
  }

  noteSession(id: string): void {
    this.addIdentifier(PartialKind.session, id);
  }
}

export { keyText as projectionKeyText };
