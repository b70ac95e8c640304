// Partial states on disk: positional msgpack arrays, with maps written as flat [key, value, …] lists.

import '../storage/msgpack-strings.js';
import { Packr, RESET_BUFFER_MODE } from 'msgpackr';
import type { PartialCodec } from '../storage/projection-state.js';
import type { PartialKindCode } from './projection-store.js';
import { PartialKind } from './projection-store.js';
import type { AccountPartial, IdentifierPartial, SessionPartial } from './partials.js';
import { NO_ENTRIES, setOwn, type AttributeRegister } from './attributes.js';
import type { Owner } from '../identity/identity-graph.js';
import { storedNameCounts } from './name-counts.js';

/**
 * Plain msgpack, no record structures: a partial's fields are known by position, and its maps (event-name counts,
 * attributes, accumulators) have keys that differ from one profile to the next, which msgpack records turn into a
 * new structure per combination. Encoding one partial of a 1M-event store took 2–8 µs as records, 0.6–1.4 µs as
 * positional arrays (docs/storage-v2.md, "Partial states as positional arrays").
 */
const packr = new Packr({ useRecords: false });

/** A register: [t, e, s] for an unset, [t, e, s, v] for a value. */
type RegisterRow = [number, string, string] | [number, string, string, unknown];

/** The flat list of an empty record: most partials have no accumulators and many no attributes. Only ever packed. */
const NO_PAIRS: readonly unknown[] = Object.freeze([]);

function flatRecord<T>(record: Record<string, T>, each: (value: T) => unknown = (value) => value): readonly unknown[] {
  if (record === NO_ENTRIES) return NO_PAIRS;
  const out: unknown[] = [];
  for (const key of Object.keys(record)) out.push(key, each(record[key]!));
  return out;
}

function fromFlat<T>(flat: readonly unknown[], each: (value: unknown) => T = (value) => value as T): Record<string, T> {
  const out: Record<string, T> = {};
  for (let i = 0; i < flat.length; i += 2) setOwn(out, flat[i] as string, each(flat[i + 1]));
  return out;
}

function registerRow(register: AttributeRegister): RegisterRow {
  return register.u === true ? [register.t, register.e, register.s] : [register.t, register.e, register.s, register.v];
}

/** A record that the fold and merges replace before writing to (accumulators, registers): the shared empty one when empty. */
function fromFlatShared<T>(flat: readonly unknown[], each?: (value: unknown) => T): Record<string, T> {
  return flat.length === 0 ? NO_ENTRIES : fromFlat(flat, each);
}

function fromRegisterRow(value: unknown): AttributeRegister {
  const row = value as RegisterRow;
  return row.length === 3 ? { u: true, t: row[0], e: row[1], s: row[2] } : { v: row[3] as AttributeRegister['v'], t: row[0], e: row[1], s: row[2] };
}

/** A partial's row has nine fields; a state's, a tenth: the sessions it counts in its session set (when any). */
function identifierRow(p: IdentifierPartial): unknown[] {
  const row = [
    p.first,
    p.last,
    p.count,
    p.names,
    p.sessions,
    p.accounts,
    flatRecord(p.computed),
    flatRecord(p.latest, registerRow),
    flatRecord(p.once, registerRow),
  ];
  if (p.sessionCount > 0) row.push(p.sessionCount);
  return row;
}

function fromIdentifierRow(row: unknown[]): IdentifierPartial {
  return {
    first: row[0] as number | null,
    last: row[1] as number | null,
    count: row[2] as number,
    names: storedNameCounts(row[3]),
    sessions: row[4] as string[],
    sessionCount: (row[9] as number | undefined) ?? 0,
    accounts: row[5] as string[],
    computed: fromFlatShared(row[6] as unknown[]),
    latest: fromFlatShared(row[7] as unknown[], fromRegisterRow),
    once: fromFlatShared(row[8] as unknown[], fromRegisterRow),
  };
}

function sessionRow(p: SessionPartial): unknown[] {
  const first = p.firstEvent;
  return [p.first, p.last, p.count, p.pages, p.owners, first === null ? null : [first.t, first.e, first.o]];
}

function fromSessionRow(row: unknown[]): SessionPartial {
  const first = row[5] as [number, string, Owner] | null;
  return {
    first: row[0] as number | null,
    last: row[1] as number | null,
    count: row[2] as number,
    pages: row[3] as string[],
    owners: row[4] as Owner[],
    firstEvent: first === null ? null : { t: first[0], e: first[1], o: first[2] },
  };
}

function accountRow(p: AccountPartial): unknown[] {
  return [p.first, p.last, p.count, p.members, flatRecord(p.latest, registerRow), flatRecord(p.once, registerRow)];
}

function fromAccountRow(row: unknown[]): AccountPartial {
  return {
    first: row[0] as number | null,
    last: row[1] as number | null,
    count: row[2] as number,
    members: row[3] as Owner[],
    latest: fromFlatShared(row[4] as unknown[], fromRegisterRow),
    once: fromFlatShared(row[5] as unknown[], fromRegisterRow),
  };
}

/**
 * Encodes and decodes each kind's partial as one msgpack array (always: the store tells these from older values by
 * it). Encoding writes over the bytes it returned the time before (`RESET_BUFFER_MODE`): no new buffer every few
 * dozen values, which in a large heap cost more in garbage collection than the encoding saved.
 */
export const positionalPartials: PartialCodec = {
  encode(kind: PartialKindCode, value: unknown): Buffer {
    const row =
      kind === PartialKind.session
        ? sessionRow(value as SessionPartial)
        : kind === PartialKind.account
          ? accountRow(value as AccountPartial)
          : identifierRow(value as IdentifierPartial);
    return packr.pack(row, RESET_BUFFER_MODE);
  },
  decode(kind: PartialKindCode, bytes: Uint8Array): unknown {
    const row = packr.unpack(bytes) as unknown[];
    if (kind === PartialKind.session) return fromSessionRow(row);
    if (kind === PartialKind.account) return fromAccountRow(row);
    return fromIdentifierRow(row);
  },
  decodeEach(kind: PartialKindCode, bytes: Uint8Array): unknown[] {
    const rows = packr.unpackMultiple(bytes) as unknown[][];
    return rows.map((row) =>
      kind === PartialKind.session ? fromSessionRow(row) : kind === PartialKind.account ? fromAccountRow(row) : fromIdentifierRow(row),
    );
  },
  fromRecord(kind: PartialKindCode, record: unknown): unknown {
    if (kind === PartialKind.session || kind === PartialKind.account) return record;
    const partial = record as IdentifierPartial;
    return { ...partial, names: storedNameCounts(partial.names), sessionCount: 0 };
  },
};
