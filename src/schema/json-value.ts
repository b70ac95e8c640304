// Checks that a value is plain JSON (what msgpack and every reader can round-trip) before it is stored.

import { issue, describeType, type Issue } from './issues.js';

/** A JSON value as eventdb stores it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

export const MAX_DEPTH = 32;

interface Walk {
  issues: Issue[];
  ancestors: object[];
  /** Set when an object key holds `undefined`: such keys are dropped, as JSON.stringify does. */
  hasUndefined: boolean;
}

/**
 * Returns the issues that stop `value` from being stored as JSON. Object keys
 * holding `undefined` are allowed (they are dropped); everything else that JSON
 * cannot carry is reported with its path.
 */
export function checkJsonValue(value: unknown, path: string): { issues: Issue[]; hasUndefined: boolean } {
  const walk: Walk = { issues: [], ancestors: [], hasUndefined: false };
  visit(value, path, walk);
  return { issues: walk.issues, hasUndefined: walk.hasUndefined };
}

function visit(value: unknown, path: string, walk: Walk): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) walk.issues.push(issue('NOT_JSON_VALUE', path, `${value} is not a JSON number`));
      return;
    case 'object':
      if (value === null) return;
      visitObject(value, path, walk);
      return;
    default:
      walk.issues.push(issue('NOT_JSON_VALUE', path, `a ${typeof value} is not a JSON value`));
  }
}

function visitObject(value: object, path: string, walk: Walk): void {
  if (walk.ancestors.includes(value)) {
    walk.issues.push(issue('NOT_JSON_VALUE', path, 'a circular reference is not a JSON value'));
    return;
  }
  if (walk.ancestors.length >= MAX_DEPTH) {
    walk.issues.push(issue('TOO_DEEP', path, `nesting deeper than ${MAX_DEPTH} levels`));
    return;
  }
  walk.ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) walk.issues.push(issue('NOT_JSON_VALUE', `${path}[${i}]`, 'undefined is not a JSON value'));
      else visit(item, `${path}[${i}]`, walk);
    }
  } else {
    if (!hasPlainPrototype(value)) {
      walk.issues.push(issue('NOT_JSON_VALUE', path, `a ${describeType(value)} is not a JSON value`));
    } else {
      for (const key of Object.keys(value)) {
        const item: unknown = (value as Record<string, unknown>)[key];
        if (item === undefined) walk.hasUndefined = true;
        else visit(item, path === '' ? key : `${path}.${key}`, walk);
      }
    }
  }
  walk.ancestors.pop();
}

/** A plain object's prototype is Object.prototype (of any realm) or null. */
export function hasPlainPrototype(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/** A copy without the keys that hold `undefined` (only called when there are some). */
export function dropUndefined<T>(value: T): T {
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
