// The log's value layout: a record as a compact positional tuple, and back.

import type { NormalizedRecord, RecordKind } from '../schema/record.js';
import { formatTimestamp } from '../schema/timestamp.js';

/** A record as the log returns it: the normalised record with its log position and an ISO timestamp. */
export interface StoredRecord extends NormalizedRecord {
  /** Position in the log: 1, 2, 3… in commit order. */
  seq: number;
  /** Event time as an ISO-8601 UTC string (`time` holds epoch ms). */
  timestamp: string;
}

/** Tuple positions. Positional arrays cost no key bytes per record. */
const FIELDS = [
  'profileId',
  'userId',
  'sessionId',
  'accountId',
  'pageId',
  'eventName',
  'productId',
  'data',
  'attributes',
  'accountAttributes',
  'source',
] as const;
const FIRST_FIELD = 3;
// Codes are stored in the log: append new kinds, never renumber.
const KIND_CODES: Record<RecordKind, number> = { event: 0, product: 1, attributes: 2, feedItem: 3, productRemoval: 4 };
const KINDS: readonly RecordKind[] = ['event', 'product', 'attributes', 'feedItem', 'productRemoval'];

export type RecordTuple = unknown[];

/** Encodes a record as `[kind, eventId, time, ...fields]`, absent fields as null, trailing ones cut. */
export function toTuple(record: NormalizedRecord): RecordTuple {
  const tuple: unknown[] = [KIND_CODES[record.kind], record.eventId, record.time];
  let last = FIRST_FIELD - 1;
  for (let i = 0; i < FIELDS.length; i++) {
    const value = record[FIELDS[i]!];
    if (value === undefined) {
      tuple.push(null);
    } else {
      tuple.push(value);
      last = FIRST_FIELD + i;
    }
  }
  tuple.length = last + 1;
  return tuple;
}

/**
 * Decodes a tuple read at `seq`. Fields are assigned by name in one fixed order (absent ones skipped), so every
 * record takes the same few hidden-class transitions: this runs once per event of every scan.
 */
export function fromTuple(seq: number, tuple: RecordTuple): StoredRecord {
  const time = tuple[2] as number;
  const record: StoredRecord = {
    seq,
    kind: KINDS[tuple[0] as number] ?? 'event',
    eventId: tuple[1] as string,
    timestamp: formatTimestamp(time),
    time,
  };
  const n = tuple.length;
  if (n <= FIRST_FIELD) return record;
  let v = tuple[3];
  if (v != null) record.profileId = v as string;
  if ((v = tuple[4]) != null) record.userId = v as string;
  if ((v = tuple[5]) != null) record.sessionId = v as string;
  if ((v = tuple[6]) != null) record.accountId = v as string;
  if ((v = tuple[7]) != null) record.pageId = v as string;
  if ((v = tuple[8]) != null) record.eventName = v as string;
  if ((v = tuple[9]) != null) record.productId = v as string;
  if ((v = tuple[10]) != null) record.data = v as StoredRecord['data'];
  if (n <= 11) return record;
  if ((v = tuple[11]) != null) record.attributes = v as StoredRecord['attributes'];
  if ((v = tuple[12]) != null) record.accountAttributes = v as StoredRecord['accountAttributes'];
  if ((v = tuple[13]) != null) record.source = v as StoredRecord['source'];
  return record;
}

/** The normalised record a stored one was made from (for conflict checks and rebuilds). */
export function toNormalized(stored: StoredRecord): NormalizedRecord {
  const { seq: _seq, timestamp: _timestamp, ...rest } = stored;
  return rest;
}

/** eventId of a tuple without decoding the rest. */
export function tupleEventId(tuple: RecordTuple): string {
  return tuple[1] as string;
}
