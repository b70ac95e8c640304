// The projection state's keys and the calls on it. The LMDB store (storage.ts) and the in-memory scratch store
// (projections/projection-store.ts) both answer them; the projector and the identity graph write through them.

/** Partial kinds, the second element of a partial key. */
export const PartialKind = { profileId: 1, userId: 2, session: 3, account: 4 } as const;
export type PartialKindCode = (typeof PartialKind)[keyof typeof PartialKind];

/** [kind, id]: one partial state per identifier, session or account (format 3; format 2 and before also keyed by generation). */
export type PartialKey = [PartialKindCode, string];

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

/**
 * The stored layout of each kind's partial state: its fields in this order, as a positional array (no key names on
 * disk). The projections build their states with exactly these fields in this order; a test holds the two equal.
 */
export const PARTIAL_FIELDS: Readonly<Record<PartialKindCode, readonly string[]>> = {
  1: ['first', 'last', 'count', 'names', 'sessions', 'accounts', 'computed', 'latest', 'once'],
  2: ['first', 'last', 'count', 'names', 'sessions', 'accounts', 'computed', 'latest', 'once'],
  3: ['first', 'last', 'count', 'pages', 'owners', 'firstEvent'],
  4: ['first', 'last', 'count', 'members', 'latest', 'once'],
};
