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

/**
 * What a secondary index entry is keyed by. `profileId` and `userId` entries
 * hold the events an identifier owns: an event with a userId is owned by it,
 * an event with only a profileId by the profileId.
 */
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
/** A range bound: an index key without its sequence. */
export type IndexBound = [number, number, string, number];

/** Event times are stored biased by 2^46 ms, which covers years 0000–9999 with room to spare. */
const TIME_BIAS = 2 ** 46;
export const MIN_INDEX_TIME = -TIME_BIAS;
export const MAX_INDEX_TIME = 2 ** 50;
const TWO_32 = 2 ** 32;

/**
 * The index's binary layout, about 20 bytes shorter than the generic
 * ordered-binary array and cheaper to write: [gen u16][kind u8][value utf8]
 * [0x00][time+bias u64][seq u48]. Values never contain NUL (validation
 * rejects it), so the 0x00 terminator keeps the byte order equal to the
 * order of (gen, kind, value, time, seq).
 */
export const indexKeyEncoder = {
  writeKey(key: IndexKey | IndexBound, target: Buffer, start: number): number {
    target.writeUInt16BE(key[0], start);
    target[start + 2] = key[1];
    let at = start + 3 + target.write(key[2], start + 3);
    target[at++] = 0;
    const time = key[3] + TIME_BIAS;
    target.writeUInt32BE(Math.floor(time / TWO_32), at);
    target.writeUInt32BE(time >>> 0, at + 4);
    at += 8;
    if (key.length === 5) {
      target.writeUInt16BE(Math.floor(key[4] / TWO_32), at);
      target.writeUInt32BE(key[4] >>> 0, at + 2);
      at += 6;
    }
    return at;
  },
  readKey(source: Buffer, start: number, end: number): IndexKey {
    const seq = source.readUInt16BE(end - 6) * TWO_32 + source.readUInt32BE(end - 4);
    const time = source.readUInt32BE(end - 14) * TWO_32 + source.readUInt32BE(end - 10) - TIME_BIAS;
    return [source.readUInt16BE(start), source[start + 2]!, source.toString('utf8', start + 3, end - 15), time, seq];
  },
};

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
