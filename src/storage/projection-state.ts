// The projection state's keys and the calls on it. The LMDB store (storage.ts) and the in-memory scratch store
// (projections/projection-store.ts) both answer them; the projector and the identity graph write through them.

/** Partial kinds, the second element of a partial key. */
export const PartialKind = { profileId: 1, userId: 2, session: 3, account: 4 } as const;
export type PartialKindCode = (typeof PartialKind)[keyof typeof PartialKind];

/**
 * A session set's key (see DerivedStore): a state's is its key in `states` (`<kind digit><id>`), a user state's
 * `u<userId>`.
 */
export const stateSessionsKey = (kind: PartialKindCode, id: string): string => `${kind}${id}`;
export const userSessionsKey = (userId: string): string => `u${userId}`;

/** [generation, kind, id] */
export type PartialKey = [number, PartialKindCode, string];

/**
 * How partial states are written to LMDB (the projections layer knows their shape). Every value it encodes is a
 * msgpack array: values written before it existed are msgpack records, told apart by their first byte.
 */
export interface PartialCodec {
  /** The bytes are valid until the next `encode`: write them at once (a put inside a synchronous transaction copies them). */
  encode(kind: PartialKindCode, value: unknown): Buffer;
  decode(kind: PartialKindCode, bytes: Uint8Array): unknown;
  /**
   * Each partial of a stored value, oldest first: a checkpoint appends a key's delta to the value its earlier
   * checkpoints of the generation wrote (format 16), so a value holds one encoded partial or several back to back.
   */
  decodeEach(kind: PartialKindCode, bytes: Uint8Array): unknown[];
  /** A partial as a msgpack record held it (format 2), in the shape `decode` returns. */
  fromRecord(kind: PartialKindCode, record: unknown): unknown;
}

/**
 * A delta (a partial folded from empty, without its stored value) joined with the stored partial: `delta` merged
 * into `stored`, which was decoded for this join (so it may be changed), and returned (the projections layer knows
 * the shapes; the merges are associative and commutative, so this equals folding the delta's records into `stored`).
 */
export type MergePartial = (kind: PartialKindCode, stored: unknown, delta: unknown) => unknown;

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
  /**
   * Holds a fold of a key (live or replayed) begun in this window: a delta, folded from empty without the stored
   * partial. A read merges it with the stored partial; the checkpoint appends it to the stored value. No fold reads
   * partial state.
   */
  putDelta(key: PartialKey, delta: unknown): void;
  /**
   * The partial a fold changes in place, when memory holds one for the key: its delta (`putDelta`), or a whole
   * partial a repair put. Undefined: none.
   */
  foldTarget(gen: number, kind: PartialKindCode, id: string, replaying: boolean): unknown;
  getLink(profileId: string): Link | undefined;
  putLink(profileId: string, link: Link): void;
  addMember(userId: string, profileId: string): void;
  removeMember(userId: string, profileId: string): void;
  hasIdentifier(kind: PartialKindCode, id: string): boolean;
  addIdentifier(kind: PartialKindCode, id: string): void;
  /**
   * Registers an id met in a committed record being replayed, without reading LMDB (a replay after a crash asks
   * this for every id of the tail, most of them stored long ago): true when it is certainly new. Either way the id
   * is registered from here on, and a store that writes registrations writes it (again, when LMDB has it).
   */
  noteIdentifier(kind: PartialKindCode, id: string): boolean;
  /**
   * Whether an event before seq `seq` has the session. Sessions keep no identifier entry: the event index's
   * sessionId keys are the sessions seen.
   */
  hasSession(id: string, seq: number): boolean;
  /** Registers a session first seen in the record being folded. */
  addSession(id: string): void;
  /** Registers a session met in a committed record being replayed, without a read. */
  noteSession(id: string): void;
}
