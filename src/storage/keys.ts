// Key layouts: generations, index kinds and the binary dedupe key.

/**
 * Records are grouped into generations of this many sequence numbers. The
 * randomly keyed trees (dedupe, secondary indexes) put the generation first,
 * so a commit only touches the leaves of the current generation and the cost
 * per event stays flat as the store grows (see docs/architecture.md).
 */
export const GENERATION_SIZE = 2 ** 18;

/** The generation a sequence number belongs to. */
export function generationOf(seq: number): number {
  return Math.floor(seq / GENERATION_SIZE);
}

/** What a secondary index entry is keyed by. */
export const IndexKind = {
  profileId: 1,
  userId: 2,
  sessionId: 3,
  accountId: 4,
  eventName: 5,
  productId: 6,
} as const;
export type IndexField = keyof typeof IndexKind;
export const INDEX_FIELDS = Object.keys(IndexKind) as IndexField[];

/** Index key: generation, kind, value, event time, sequence. Sorted by value, then time. */
export type IndexKey = [number, number, string, number, number];

export function indexKey(gen: number, field: IndexField, value: string, time: number, seq: number): IndexKey {
  return [gen, IndexKind[field], value, time, seq];
}

/** Bytes of a dedupe key: 2 for the generation, 8 for xxhash64(eventId). */
export const DEDUPE_KEY_BYTES = 10;

/** A dedupe key for `hash`, in generation 0; `withGeneration` rewrites it in place. */
export function dedupeKey(hash: bigint): Buffer {
  const key = Buffer.allocUnsafe(DEDUPE_KEY_BYTES);
  key.writeUInt16BE(0, 0);
  key.writeBigUInt64BE(hash, 2);
  return key;
}

export function withGeneration(key: Buffer, gen: number): Buffer {
  key.writeUInt16BE(gen, 0);
  return key;
}
