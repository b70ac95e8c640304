// Attribute registers: set/unset are last-writer-wins by (time, eventId), setOnce keeps the earliest.

import { isLater } from '../schema/event-order.js';
import { formatTimestamp } from '../schema/timestamp.js';
import { unescapedKey, unescapeKeys } from '../schema/proto-keys.js';
import type { JsonValue } from '../schema/json-value.js';
import type { AttributeUpdate } from '../schema/record.js';

/** One attribute write: a value (or an unset), when, by which record, from which source. */
export interface AttributeRegister {
  /** The value; absent for an unset. */
  v?: JsonValue;
  /** Set for an unset. */
  u?: true;
  t: number;
  e: string;
  s: string;
}

/** Per key, the latest set/unset and the earliest setOnce. Keys map to registers (null-prototype objects). */
export interface AttributeState {
  latest: Record<string, AttributeRegister>;
  once: Record<string, AttributeRegister>;
}

export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * The one empty record that every state without attributes (or accumulators) holds, frozen: most partial states
 * have none, and a window holds hundreds of thousands of them, each of whose objects the garbage collector marks.
 * A write first gives the state its own record (`ownRecord`); a missed one throws.
 */
export const NO_ENTRIES: Readonly<Record<string, never>> = Object.freeze(emptyRecord<never>());

/** `record`, or a fresh one in place of the shared empty one. */
export function ownRecord<T>(record: Record<string, T>): Record<string, T> {
  return record === NO_ENTRIES ? {} : record;
}

/** Sets an own property, even one named `__proto__`, without touching any prototype. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function own<T>(target: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/** Folds one update into `state` (mutated: callers pass their own working copy). */
export function applyUpdate(state: AttributeState, update: AttributeUpdate, time: number, eventId: string, source: string): void {
  if (update.set !== undefined || update.unset !== undefined) state.latest = ownRecord(state.latest);
  if (update.setOnce !== undefined) state.once = ownRecord(state.once);
  for (const [key, value] of Object.entries(update.set ?? {})) keepLatest(state.latest, key, { v: value, t: time, e: eventId, s: source });
  for (const key of update.unset ?? []) keepLatest(state.latest, key, { u: true, t: time, e: eventId, s: source });
  for (const [key, value] of Object.entries(update.setOnce ?? {})) keepEarliest(state.once, key, { v: value, t: time, e: eventId, s: source });
}

function keepLatest(registers: Record<string, AttributeRegister>, key: string, candidate: AttributeRegister): void {
  const current = own(registers, key);
  if (current === undefined || isLater(candidate.t, candidate.e, current.t, current.e)) setOwn(registers, key, candidate);
}

function keepEarliest(registers: Record<string, AttributeRegister>, key: string, candidate: AttributeRegister): void {
  const current = own(registers, key);
  if (current === undefined || isLater(current.t, current.e, candidate.t, candidate.e)) setOwn(registers, key, candidate);
}

/** Merges `from` into `into` (mutated). Associative and commutative. */
export function mergeAttributes(into: AttributeState, from: AttributeState): void {
  if (from.latest !== NO_ENTRIES) into.latest = ownRecord(into.latest);
  if (from.once !== NO_ENTRIES) into.once = ownRecord(into.once);
  for (const key of Object.keys(from.latest)) keepLatest(into.latest, key, from.latest[key]!);
  for (const key of Object.keys(from.once)) keepEarliest(into.once, key, from.once[key]!);
}

/** An attribute as a profile or account shows it. */
export interface AttributeValue {
  value: JsonValue;
  source: string;
  /** ISO-8601 time of the write that set it. */
  timestamp: string;
  eventId: string;
}

/** The visible attributes: the latest set unless unset; otherwise the earliest setOnce while no set/unset exists. */
export function resolveAttributes(state: AttributeState): Record<string, AttributeValue> {
  const out = emptyRecord<AttributeValue>();
  const latest = Object.keys(state.latest);
  const once = Object.keys(state.once);
  // Most profiles of event streams have none: no set, list or sort built for them.
  if (latest.length === 0 && once.length === 0) return out;
  const keys = once.length === 0 ? latest : new Set([...latest, ...once]);
  // Names and values are stored with `__proto__` keys escaped (schema/proto-keys.ts): returned as sent.
  const named = [...keys].map((key) => [unescapedKey(key), key] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, key] of named) {
    const register = own(state.latest, key) ?? own(state.once, key)!;
    if (register.u === true) continue;
    const value = typeof register.v === 'object' && register.v !== null ? unescapeKeys(register.v) : register.v!;
    setOwn(out, name, { value, source: register.s, timestamp: formatTimestamp(register.t), eventId: register.e });
  }
  return out;
}
