// Where projections live: LMDB for the store, plain maps for verify's scratch rebuild. Both answer the same calls.

/** Partial kinds, the second element of a partial key. */
export const PartialKind = { profileId: 1, userId: 2, session: 3, account: 4 } as const;
export type PartialKindCode = (typeof PartialKind)[keyof typeof PartialKind];

/** [generation, kind, id] */
export type PartialKey = [number, PartialKindCode, string];

/** The earliest link of a profileId to a userId. */
export interface Link {
  u: string;
  t: number;
  e: string;
}

/** The projection state, as the projector reads and writes it. */
export interface ProjectionStore {
  getPartial(key: PartialKey): unknown;
  putPartial(key: PartialKey, value: unknown): void;
  getLink(profileId: string): Link | undefined;
  putLink(profileId: string, link: Link): void;
  addMember(userId: string, profileId: string): void;
  removeMember(userId: string, profileId: string): void;
  hasIdentifier(kind: PartialKindCode, id: string): boolean;
  addIdentifier(kind: PartialKindCode, id: string): void;
}

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
}

export { keyText as projectionKeyText };
