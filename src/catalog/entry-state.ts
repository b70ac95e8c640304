// A catalog entry's mergeable state: per-field registers by (time, eventId), plus the reset of the latest full description.

import { escapeKeys, unescapeKeys } from '../schema/proto-keys.js';
import { payloadChanges, type FeedItemData } from '../schema/catalog-item.js';
import type { JsonValue } from '../schema/json-value.js';
import type { NormalizedRecord } from '../schema/record.js';
import type { StoredCatalogEntry, StoredRegister } from '../storage/catalog-store.js';

/** A write's version: later time wins, a tie goes to the larger eventId. */
export type Version = readonly [time: number, eventId: string];

/** The latest write of one field: its version, and its value unless the write cleared it. */
export interface Register {
  version: Version;
  value?: JsonValue;
}

/**
 * The working form of an entry. Every part merges by "latest version wins",
 * so the state does not depend on the order records arrive in:
 * - `alive`: the latest payload or feed item (the entry exists while it is not older than `reset`);
 * - `reset`: the latest feed item or removal — a full description clears whatever was written before it;
 * - `fields` / `extra`: one register per catalog field / extra key; registers older than `reset` are dropped.
 */
export interface EntryState {
  id: string;
  alive?: Version;
  reset?: Version;
  fields: Map<string, Register>;
  extra: Map<string, Register>;
}

export function isLater(a: Version, b: Version | undefined): boolean {
  return b === undefined || a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

export function emptyState(id: string): EntryState {
  return { id, fields: new Map(), extra: new Map() };
}

/** Applies a product payload, a feed item or a removal to an entry's state (in place). */
export function applyRecord(state: EntryState, record: NormalizedRecord): void {
  const version: Version = [record.time, record.eventId];
  // The entry keeps keys in Maps, where `__proto__` is safe: the stored escaping is undone here.
  const data = record.keysEscaped === true && record.data !== undefined ? unescapeKeys(record.data) : record.data;
  if (record.kind === 'product') {
    const changes = payloadChanges(data ?? {});
    if (isLater(version, state.alive)) state.alive = version;
    for (const [name, value] of changes.fields) write(state, state.fields, name, version, value);
    for (const [key, value] of changes.extra) write(state, state.extra, key, version, value);
  } else if (record.kind === 'feedItem') {
    const { extra = {}, ...fields } = (data ?? {}) as FeedItemData;
    if (isLater(version, state.alive)) state.alive = version;
    raiseReset(state, version);
    for (const [name, value] of Object.entries(fields)) write(state, state.fields, name, version, value ?? null);
    for (const [key, value] of Object.entries(extra)) write(state, state.extra, key, version, value);
  } else if (record.kind === 'productRemoval') {
    raiseReset(state, version);
  }
}

function write(state: EntryState, registers: Map<string, Register>, name: string, version: Version, value: JsonValue | null): void {
  if (state.reset !== undefined && isLater(state.reset, version)) return;
  const current = registers.get(name);
  if (current !== undefined && !isLater(version, current.version)) return;
  registers.set(name, value === null ? { version } : { version, value });
}

function raiseReset(state: EntryState, version: Version): void {
  if (!isLater(version, state.reset)) return;
  state.reset = version;
  for (const registers of [state.fields, state.extra]) {
    for (const [name, register] of registers) if (isLater(version, register.version)) registers.delete(name);
  }
}

/** True when the entry exists: some payload or feed item is not older than the latest removal or full description. */
export function exists(state: EntryState): boolean {
  return state.alive !== undefined && !isLater(state.reset ?? state.alive, state.alive);
}

export function encodeState(state: EntryState): StoredCatalogEntry {
  // Entries hold few distinct versions (one, for an entry fed by feed items only): a list beats a map here.
  const versions: Version[] = [];
  addVersion(versions, state.alive);
  addVersion(versions, state.reset);
  for (const register of state.fields.values()) addVersion(versions, register.version);
  for (const register of state.extra.values()) addVersion(versions, register.version);
  versions.sort(compareVersions);
  return {
    id: state.id,
    v: versions.map((v) => [v[0], v[1]]),
    a: indexOfVersion(versions, state.alive),
    r: indexOfVersion(versions, state.reset),
    f: encodeRegisters(state.fields, versions),
    x: encodeRegisters(state.extra, versions),
  };
}

function addVersion(versions: Version[], version: Version | undefined): void {
  if (version !== undefined && indexOfVersion(versions, version) < 0) versions.push(version);
}

function indexOfVersion(versions: readonly Version[], version: Version | undefined): number {
  if (version === undefined) return -1;
  for (let i = 0; i < versions.length; i++) if (versions[i]![0] === version[0] && versions[i]![1] === version[1]) return i;
  return -1;
}

function compareVersions(a: Version, b: Version): number {
  return isLater(a, b) ? 1 : isLater(b, a) ? -1 : 0;
}

function encodeRegisters(registers: Map<string, Register>, versions: readonly Version[]): StoredRegister[] {
  const names = [...registers.keys()].sort();
  const out = new Array<StoredRegister>(names.length);
  for (let i = 0; i < names.length; i++) {
    const register = registers.get(names[i]!)!;
    const at = indexOfVersion(versions, register.version);
    out[i] = register.value === undefined ? [names[i]!, at] : [names[i]!, at, storedValue(register.value)];
  }
  return out;
}

export function decodeState(stored: StoredCatalogEntry): EntryState {
  const versions = stored.v as Version[];
  const state: EntryState = { id: stored.id, fields: decodeRegisters(stored.f, versions), extra: decodeRegisters(stored.x, versions) };
  if (stored.a >= 0) state.alive = versions[stored.a]!;
  if (stored.r >= 0) state.reset = versions[stored.r]!;
  return state;
}

function decodeRegisters(list: readonly StoredRegister[], versions: readonly Version[]): Map<string, Register> {
  const registers = new Map<string, Register>();
  for (const r of list) registers.set(r[0], r.length === 3 ? { version: versions[r[1]]!, value: sentValue(r[2]) } : { version: versions[r[1]]! });
  return registers;
}

// A register's value is stored with its keys escaped (see schema/proto-keys.ts): msgpack decoding would rename a
// nested `__proto__` key, and verify would find the entry different from the log. Register names are strings in a
// list, safe as they are.

function storedValue(value: JsonValue): JsonValue {
  return typeof value === 'object' && value !== null ? escapeKeys(value) : value;
}

function sentValue(value: JsonValue): JsonValue {
  return typeof value === 'object' && value !== null ? unescapeKeys(value) : value;
}
