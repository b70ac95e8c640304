// Helpers the adapters share: reading identifiers, objects and timestamps from SDK calls, deriving ids.

import { createHash } from 'node:crypto';
import { issue, describeType, type Issue } from '../schema/issues.js';
import type { JsonObject, JsonValue } from '../schema/json-value.js';
import { canonicalJson } from '../schema/json-value.js';
import { formatTimestamp, parseTimestamp } from '../schema/timestamp.js';
import type { AttributeUpdate } from '../schema/record.js';
import type { AdapterOptions } from './adapter-result.js';

/** A plain object (what JSON.parse makes for `{…}`). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An identifier as SDKs send it: a non-empty string, or a number (older SDKs allowed numeric ids) read as its decimal string. */
export function readId(call: Record<string, unknown>, key: string, issues: Issue[], path: string = key): string | undefined {
  const value = call[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') {
    issues.push(issue('WRONG_TYPE', path, `must be a string, not ${describeType(value)}`));
    return undefined;
  }
  // A blank identifier is reported by validation (EMPTY_VALUE) when it reaches a record; here it counts as absent
  // so that the next candidate (a userId when the anonymousId is blank) can still identify the call.
  return value.trim() === '' ? undefined : value;
}

/** An optional JSON object at `key`; a value of another type is an issue. */
export function readObject(call: Record<string, unknown>, key: string, issues: Issue[], path: string = key): JsonObject | undefined {
  const value = call[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    issues.push(issue('WRONG_TYPE', path, `must be an object, not ${describeType(value)}`));
    return undefined;
  }
  return value as JsonObject;
}

/** Epoch ms of the request's arrival. */
export function receivedAtMs(options: AdapterOptions): number {
  const { receivedAt } = options;
  if (receivedAt === undefined) return Date.now();
  if (receivedAt instanceof Date) return receivedAt.getTime();
  if (typeof receivedAt === 'number') return receivedAt;
  const parsed = parseTimestamp(receivedAt);
  if (typeof parsed === 'string') throw new TypeError(`receivedAt: ${parsed}`);
  return parsed;
}

/**
 * Reads an SDK timestamp: an ISO string with a zone (kept as sent, so a re-sent call maps to the same record),
 * or epoch ms as a number or a digit string (Snowplow's `dtm`). Returns epoch ms and the ISO form to store, or
 * pushes `INVALID_TIMESTAMP` / `WRONG_TYPE`.
 */
export function readTime(value: unknown, path: string, issues: Issue[]): { ms: number; iso: string } | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{1,16}$/.test(value))) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms) && ms >= 0 && ms <= 253402300799999) return { ms, iso: formatTimestamp(ms) };
    issues.push(issue('INVALID_TIMESTAMP', path, `${String(value)} is not epoch milliseconds of a real instant`));
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.push(issue('WRONG_TYPE', path, `must be an ISO-8601 string or epoch milliseconds, not ${describeType(value)}`));
    return undefined;
  }
  const parsed = parseTimestamp(value);
  if (typeof parsed === 'string') {
    issues.push(issue('INVALID_TIMESTAMP', path, parsed));
    return undefined;
  }
  return { ms: parsed, iso: value };
}

/**
 * The timestamp a record gets: the device's time (`device`, already read), shifted by `receivedAt - sentAt`
 * when `correctClockSkew` is on and the call says when it was sent; the arrival time when the call has none.
 */
export function eventTime(
  device: { ms: number; iso: string } | undefined,
  sent: { ms: number } | undefined,
  options: AdapterOptions,
  receivedMs: number,
): string {
  if (device === undefined) return formatTimestamp(receivedMs);
  if (options.correctClockSkew !== true || sent === undefined) return device.iso;
  return formatTimestamp(device.ms + (receivedMs - sent.ms));
}

/**
 * The session of a call whose SDK has none: one session per identifier per UTC day
 * (`<source>:<identifier>:<YYYY-MM-DD>`), so server-side calls still group into visits of a sort.
 */
export function daySessionId(source: string, identifier: string, timestamp: string): string {
  const parsed = parseTimestamp(timestamp);
  const day = typeof parsed === 'number' ? formatTimestamp(parsed).slice(0, 10) : 'unknown-day';
  return `${source}:${identifier}:${day}`;
}

/**
 * An eventId for a call sent without one: `<source>-` + 128 bits of SHA-256 over the call's canonical JSON
 * without its send-time fields, so a retried call (whose `sentAt` moved) gets the same id.
 */
export function derivedEventId(source: string, call: Record<string, unknown>, ignore: readonly string[]): string {
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(call)) if (!ignore.includes(key)) content[key] = value;
  return `${source}-${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32)}`;
}

/** `{ set, setOnce, unset }` without its empty parts; undefined when nothing is left. */
export function attributeUpdate(set: JsonObject | undefined, setOnce: JsonObject | undefined, unset: string[] | undefined): AttributeUpdate | undefined {
  const update: AttributeUpdate = {};
  if (set !== undefined && Object.keys(set).length > 0) update.set = set;
  if (setOnce !== undefined && Object.keys(setOnce).length > 0) update.setOnce = setOnce;
  if (unset !== undefined && unset.length > 0) update.unset = unset;
  return Object.keys(update).length === 0 ? undefined : update;
}

/** A copy of `object` without `keys`; undefined when nothing is left. */
export function without(object: JsonObject | undefined, keys: readonly string[]): JsonObject | undefined {
  if (object === undefined) return undefined;
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(object)) if (!keys.includes(key)) copy[key] = value;
  return Object.keys(copy).length === 0 ? undefined : copy;
}

/** Drops `undefined` entries so records hold only what the call carried. */
export function compact<T extends object>(record: T): T {
  for (const key of Object.keys(record) as (keyof T)[]) if (record[key] === undefined) delete record[key];
  return record;
}

/** A JSON value, typed for `data`. */
export function json(value: unknown): JsonValue {
  return value as JsonValue;
}
