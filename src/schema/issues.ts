// Structured validation issues: what a rejected record (or a warning) says about itself.

/** Stable codes for problems found in a record. See docs/schema.md for each. */
export type IssueCode =
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'MISSING_IDENTIFIER'
  | 'WRONG_TYPE'
  | 'EMPTY_VALUE'
  | 'TOO_LONG'
  | 'INVALID_CHARACTER'
  | 'INVALID_TIMESTAMP'
  | 'UNKNOWN_FIELD'
  | 'NOT_ALLOWED'
  | 'NOT_JSON_VALUE'
  | 'INVALID_JSON'
  | 'TOO_DEEP'
  | 'TOO_LARGE'
  | 'TOO_MANY_KEYS'
  | 'CONFLICTING_UPDATE'
  | 'PLACEHOLDER_IDENTIFIER'
  | 'INVALID_URL'
  | 'INVALID_PRICE'
  | 'INVALID_AVAILABILITY'
  | 'INVALID_RATING'
  | 'MALFORMED_FEED'
  | 'UNKNOWN_CALL';

/** One problem with a record: a stable code, the field path (dotted, `''` for the record) and a readable message. */
export interface Issue {
  code: IssueCode;
  path: string;
  message: string;
}

export function issue(code: IssueCode, path: string, message: string): Issue {
  return { code, path, message };
}

/**
 * The issue with a string holding a lone UTF-16 surrogate (`"\ud800"` in JSON): it has no UTF-8 form, so msgpack
 * would store U+FFFD in its place, and what a read or a replay gets back would differ from what was folded (two ids
 * could even become one). `what` names the string in the message.
 */
export function loneSurrogate(path: string, what: string): Issue {
  return issue('INVALID_CHARACTER', path, `${what} contains a lone UTF-16 surrogate, which has no UTF-8 form`);
}

/** Describes a value's type for messages: `array`, `null`, `number`, `Date`… */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
    if (proto === null || proto === Object.prototype) return 'object';
    return proto.constructor?.name ?? 'object';
  }
  return typeof value;
}
