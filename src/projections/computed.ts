// Computed attributes: count / sum / min / max / first / last of a data field over events of a name, kept as mergeable accumulators.

import { errors } from '../errors.js';
import type { JsonObject, JsonValue } from '../schema/json-value.js';
import { isLater } from '../schema/event-order.js';
import { fromExactUnits, toExactUnits } from './exact-sum.js';

export type ComputedOp = 'count' | 'sum' | 'min' | 'max' | 'first' | 'last';

/** A computed attribute declared at open, e.g. `{ op: 'sum', eventName: 'purchase', field: 'amount' }`. */
export interface ComputedAttribute {
  op: ComputedOp;
  /** Events of this name feed it. */
  eventName: string;
  /** Dotted path inside `data` (`amount`, `order.total`); required except for `count`. */
  field?: string;
}

/** An accumulator: the mergeable state behind one computed attribute. */
export type Accumulator =
  | { n: number } // count
  | { u: string } // sum: exact units of 2^-1074, as hex
  | { v: number } // min, max
  | { v: JsonValue; t: number; e: string }; // first, last

const OPS: readonly ComputedOp[] = ['count', 'sum', 'min', 'max', 'first', 'last'];

export interface CompiledComputed {
  name: string;
  op: ComputedOp;
  eventName: string;
  path: string[];
}

/** Validates the declarations once, at open. */
export function compileComputed(declared: Record<string, ComputedAttribute> | undefined): CompiledComputed[] {
  if (declared === undefined) return [];
  if (typeof declared !== 'object' || declared === null) throw errors.invalidOptions('computed', 'must be an object of declarations');
  return Object.entries(declared).map(([name, def]) => {
    const at = `computed.${name}`;
    if (typeof def !== 'object' || def === null) throw errors.invalidOptions(at, 'must be { op, eventName, field }');
    if (!OPS.includes(def.op)) throw errors.invalidOptions(`${at}.op`, `must be one of ${OPS.join(', ')}`);
    if (typeof def.eventName !== 'string' || def.eventName === '') throw errors.invalidOptions(`${at}.eventName`, 'must be a non-empty string');
    if (def.field === undefined && def.op !== 'count') throw errors.invalidOptions(`${at}.field`, `is required for ${def.op}`);
    if (def.field !== undefined && (typeof def.field !== 'string' || def.field === ''))
      throw errors.invalidOptions(`${at}.field`, 'must be a dotted path inside data');
    return { name, op: def.op, eventName: def.eventName, path: def.field === undefined ? [] : def.field.split('.') };
  });
}

function readPath(data: JsonObject | undefined, path: readonly string[]): JsonValue | undefined {
  let at: JsonValue | undefined = data;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/** The accumulator of one event, or undefined when the event does not feed it (other name, field missing or not a number). */
export function accumulate(def: CompiledComputed, data: JsonObject | undefined, time: number, eventId: string): Accumulator | undefined {
  const value = def.path.length === 0 ? null : readPath(data, def.path);
  if (def.op === 'count') return def.path.length === 0 || value !== undefined ? { n: 1 } : undefined;
  if (value === undefined) return undefined;
  if (def.op === 'first' || def.op === 'last') return { v: value, t: time, e: eventId };
  if (typeof value !== 'number') return undefined;
  return def.op === 'sum' ? { u: toExactUnits(value).toString(16) } : { v: value };
}

/** Merges two accumulators of the same attribute. Associative and commutative, exact for sums. */
export function mergeAccumulators(op: ComputedOp, a: Accumulator, b: Accumulator): Accumulator {
  switch (op) {
    case 'count':
      return { n: (a as { n: number }).n + (b as { n: number }).n };
    case 'sum':
      return { u: (parseUnits((a as { u: string }).u) + parseUnits((b as { u: string }).u)).toString(16) };
    case 'min':
      return (a as { v: number }).v <= (b as { v: number }).v ? a : b;
    case 'max':
      return (a as { v: number }).v >= (b as { v: number }).v ? a : b;
    case 'first':
    case 'last': {
      const x = a as { t: number; e: string };
      const y = b as { t: number; e: string };
      const bLater = isLater(y.t, y.e, x.t, x.e);
      return (op === 'last') === bLater ? b : a;
    }
  }
}

function parseUnits(hex: string): bigint {
  return hex.startsWith('-') ? -BigInt(`0x${hex.slice(1)}`) : BigInt(`0x${hex}`);
}

/** The value a profile shows for an accumulator. */
export function computedValue(op: ComputedOp, acc: Accumulator): JsonValue {
  if (op === 'count') return (acc as { n: number }).n;
  if (op === 'sum') return fromExactUnits(parseUnits((acc as { u: string }).u));
  return (acc as { v: JsonValue }).v;
}

/** The value of a computed attribute no event has fed yet. */
export function emptyComputedValue(op: ComputedOp): JsonValue {
  return op === 'count' || op === 'sum' ? 0 : null;
}
