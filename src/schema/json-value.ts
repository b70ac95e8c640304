// Checks that a value is plain JSON (what msgpack and every reader can round-trip) before it is stored.

import { issue, describeType, loneSurrogate, type Issue } from './issues.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { needsEscape } from './proto-keys.js';

/** A JSON value as eventdb stores it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

interface Walk {
  issues: Issue[];
  ancestors: object[];
  /** Set when an object key holds `undefined`: such keys are dropped, as JSON.stringify does. */
  hasUndefined: boolean;
  /** Set when a number is -0, which msgpack stores as 0: the value is copied with 0 (see `normalizedCopy`). */
  hasNegativeZero: boolean;
  /** Approximate JSON size so far (see `Limits.maxRecordSize`). */
  size: number;
  limits: Limits;
  /** Set when a key must be stored escaped (see `needsEscape`). */
  escape: boolean;
}

/** What `checkJsonValue` found: its issues, whether undefined keys need dropping, and the value's approximate size. */
export interface JsonCheck {
  issues: Issue[];
  hasUndefined: boolean;
  hasNegativeZero: boolean;
  size: number;
  /** A key named `__proto__` (or one that looks escaped) is inside: store the value through `escapeKeys`. */
  escape: boolean;
}

/**
 * Returns the issues that stop `value` from being stored as JSON. Object keys
 * holding `undefined` are allowed (they are dropped); everything else that JSON
 * cannot carry, or that is over a limit, is reported with its path. Keys such as
 * `__proto__` are read as own data, never through the prototype.
 */
export function checkJsonValue(value: unknown, path: string, limits: Limits = DEFAULT_LIMITS): JsonCheck {
  const walk: Walk = { issues: [], ancestors: [], hasUndefined: false, hasNegativeZero: false, size: 0, limits, escape: false };
  visit(value, path, undefined, walk);
  if (walk.size > limits.maxRecordSize) {
    walk.issues.push(issue('TOO_LARGE', path, `about ${walk.size} characters of JSON or more, more than ${limits.maxRecordSize}`));
  }
  return { issues: walk.issues, hasUndefined: walk.hasUndefined, hasNegativeZero: walk.hasNegativeZero, size: walk.size, escape: walk.escape };
}

/** The path of `parent`'s member `key` (an array's index, an object's key); `parent` itself when there is none. */
function pathAt(parent: string, key: string | number | undefined): string {
  if (key === undefined) return parent;
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Checks `value`, the member `key` of `parent` (its path is only built for an issue, or an object to walk into). */
function visit(value: unknown, parent: string, key: string | number | undefined, walk: Walk): void {
  switch (typeof value) {
    case 'string':
      walk.size += value.length + 2;
      if (value.length > walk.limits.maxStringLength) {
        walk.issues.push(issue('TOO_LONG', pathAt(parent, key), `a string of ${value.length} characters, more than ${walk.limits.maxStringLength}`));
      }
      if (!value.isWellFormed()) walk.issues.push(loneSurrogate(pathAt(parent, key), 'the string'));
      return;
    case 'boolean':
      walk.size += 4;
      return;
    case 'number':
      walk.size += 8;
      if (!Number.isFinite(value)) walk.issues.push(issue('NOT_JSON_VALUE', pathAt(parent, key), `${value} is not a JSON number`));
      else if (Object.is(value, -0)) walk.hasNegativeZero = true;
      return;
    case 'object':
      walk.size += 4;
      if (value === null) return;
      visitObject(value, pathAt(parent, key), walk);
      return;
    default:
      walk.issues.push(issue('NOT_JSON_VALUE', pathAt(parent, key), `a ${typeof value} is not a JSON value`));
  }
}

function visitObject(value: object, path: string, walk: Walk): void {
  if (walk.ancestors.includes(value)) {
    walk.issues.push(issue('NOT_JSON_VALUE', path, 'a circular reference is not a JSON value'));
    return;
  }
  if (walk.ancestors.length >= walk.limits.maxDepth) {
    walk.issues.push(issue('TOO_DEEP', path, `nesting deeper than ${walk.limits.maxDepth} levels`));
    return;
  }
  if (walk.size > walk.limits.maxRecordSize) return;
  walk.ancestors.push(value);
  if (Array.isArray(value)) {
    if (value.length > walk.limits.maxKeys) {
      walk.issues.push(issue('TOO_MANY_KEYS', path, `an array of ${value.length} items, more than ${walk.limits.maxKeys}`));
      walk.ancestors.pop();
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) walk.issues.push(issue('NOT_JSON_VALUE', pathAt(path, i), 'undefined is not a JSON value'));
      else visit(item, path, i, walk);
    }
  } else {
    if (!hasPlainPrototype(value)) {
      walk.issues.push(issue('NOT_JSON_VALUE', path, `a ${describeType(value)} is not a JSON value`));
    } else {
      const keys = Object.keys(value);
      if (keys.length > walk.limits.maxKeys) {
        walk.issues.push(issue('TOO_MANY_KEYS', path, `an object of ${keys.length} keys, more than ${walk.limits.maxKeys}`));
        walk.ancestors.pop();
        return;
      }
      for (const key of keys) {
        walk.size += key.length + 3;
        if (needsEscape(key)) walk.escape = true;
        if (!key.isWellFormed()) walk.issues.push(loneSurrogateKey(path, key));
        const item: unknown = (value as Record<string, unknown>)[key];
        if (item === undefined) walk.hasUndefined = true;
        else visit(item, path, key, walk);
      }
    }
  }
  walk.ancestors.pop();
}

/** The issue with an object key holding a lone surrogate; the path shows the key with JSON's escapes (`\ud800`). */
export function loneSurrogateKey(parent: string, key: string): Issue {
  return loneSurrogate(pathAt(parent, JSON.stringify(key).slice(1, -1)), 'the key');
}

/** A plain object's prototype is Object.prototype (of any realm) or null. */
export function hasPlainPrototype(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/**
 * A copy without the keys that hold `undefined`, and with 0 for -0 (JSON's text of -0 is 0): what the log's msgpack
 * gives back, so the projections fold the value a read or a replay will see. Only called when there is either.
 */
export function normalizedCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A stable JSON text of a value: object keys sorted, so that two equal
 * values always give the same text (used for derived ids and conflict checks).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}
