// The log's value layout: a record as a compact positional tuple, and back.

import type { AttributeUpdate, NormalizedRecord, RecordKind } from '../schema/record.js';
import { unescapedKey, unescapeKeys } from '../schema/proto-keys.js';
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
/** Added to the kind code of a record whose keys are stored escaped (see schema/proto-keys.ts). */
const ESCAPED_KEYS = 16;

export type RecordTuple = unknown[];

/** Encodes a record as `[kind, eventId, time, ...fields]`, absent fields as null, trailing ones cut. */
export function toTuple(record: NormalizedRecord): RecordTuple {
  // Sized once (pushes would grow it step by step), then cut after the last field present.
  const tuple: unknown[] = new Array(FIRST_FIELD + FIELDS.length);
  tuple[0] = KIND_CODES[record.kind] + (record.keysEscaped === true ? ESCAPED_KEYS : 0);
  tuple[1] = record.eventId;
  tuple[2] = record.time;
  let last = FIRST_FIELD - 1;
  for (let i = 0; i < FIELDS.length; i++) {
    const value = record[FIELDS[i]!];
    if (value === undefined) {
      tuple[FIRST_FIELD + i] = null;
    } else {
      tuple[FIRST_FIELD + i] = value;
      last = FIRST_FIELD + i;
    }
  }
  tuple.length = last + 1;
  return tuple;
}

/**
 * A decoded record's first five fields. Made by `new` rather than as a literal so that V8 sizes the object for the
 * fields `fromTuple` adds after them (its slack tracking of a constructor's instances): one allocation per record
 * instead of an object and a growing property array (about 190 bytes more per record, measured, and a scan decodes
 * each of its events). Its prototype is `Object.prototype`: a record is a plain object to every caller
 * (`Object.getPrototypeOf`, `assert.deepStrictEqual`, structured clone).
 */
const RecordObject = function (this: StoredRecord, seq: number, kind: RecordKind, eventId: string, timestamp: string, time: number): void {
  this.seq = seq;
  this.kind = kind;
  this.eventId = eventId;
  this.timestamp = timestamp;
  this.time = time;
} as unknown as new (seq: number, kind: RecordKind, eventId: string, timestamp: string, time: number) => StoredRecord;
RecordObject.prototype = Object.prototype;

/**
 * Decodes a tuple read at `seq`. Fields are assigned by name in one fixed order (absent ones skipped), so every
 * record takes the same few hidden-class transitions: this runs once per event of every scan.
 */
export function fromTuple(seq: number, tuple: RecordTuple): StoredRecord {
  const time = tuple[2] as number;
  const code = tuple[0] as number;
  const record = new RecordObject(seq, KINDS[code & (ESCAPED_KEYS - 1)] ?? 'event', tuple[1] as string, formatTimestamp(time), time);
  if (code >= ESCAPED_KEYS) record.keysEscaped = true;
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
  if ((v = tuple[11]) != null) record.attributes = v;
  if ((v = tuple[12]) != null) record.accountAttributes = v;
  if ((v = tuple[13]) != null) record.source = v as StoredRecord['source'];
  return record;
}

/** A stored record as the API returns it: keys named `__proto__` as they were sent, no internal flag. */
export function publicRecord(record: StoredRecord): StoredRecord {
  if (record.keysEscaped !== true) return record;
  const { keysEscaped: _flag, ...rest } = record;
  if (rest.data !== undefined) rest.data = unescapeKeys(rest.data);
  if (rest.attributes !== undefined) rest.attributes = unescapeUpdate(rest.attributes);
  if (rest.accountAttributes !== undefined) rest.accountAttributes = unescapeUpdate(rest.accountAttributes);
  return rest;
}

function unescapeUpdate(update: AttributeUpdate): AttributeUpdate {
  const out: AttributeUpdate = {};
  if (update.set !== undefined) out.set = unescapeKeys(update.set);
  if (update.setOnce !== undefined) out.setOnce = unescapeKeys(update.setOnce);
  if (update.unset !== undefined) out.unset = update.unset.map(unescapedKey);
  return out;
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
