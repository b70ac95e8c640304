// Validates one input record (a behavioural event or a product payload) into its normalised form.

import { checkJsonValue, hasPlainPrototype, normalizedCopy, type JsonObject } from './json-value.js';
import { describeType, issue, loneSurrogate, type Issue } from './issues.js';
import type { AttributeUpdate, NormalizedRecord, Validation } from './record.js';
import { parseTimestamp } from './timestamp.js';
import { checkPayloadData } from './catalog-fields.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { escapedKey, escapeKeys, needsEscape } from './proto-keys.js';

/** Longest accepted identifier, eventId or eventName, in characters. */
export const MAX_ID_LENGTH = 256;

const ID_FIELDS = ['eventId', 'profileId', 'userId', 'sessionId', 'accountId', 'pageId', 'eventName', 'productId'] as const;
type IdField = (typeof ID_FIELDS)[number];

const KNOWN_FIELDS = new Set<string>([...ID_FIELDS, 'timestamp', 'data', 'attributes', 'accountAttributes']);
const UPDATE_FIELDS = new Set<string>(['set', 'setOnce', 'unset']);

/** What validation needs from the store's options. */
export interface ValidationContext {
  /** Lower-cased, trimmed identifiers that never identify anybody. */
  placeholders: ReadonlySet<string>;
  /** Size limits (defaults when absent). */
  limits?: Limits;
}

/** What the walk of a record's values found: its approximate JSON size, and whether keys must be stored escaped. */
export interface Size {
  size: number;
  escape: boolean;
}

/**
 * Validates a record. Never throws: whatever `input` is, the answer is either
 * the normalised record (with warnings) or the list of issues that reject it.
 */
export function validateRecord(input: unknown, ctx: ValidationContext): Validation {
  try {
    return validateFields(input, ctx);
  } catch (err) {
    // Getters and proxies can throw while being read; the record is rejected, not the batch.
    return { ok: false, errors: [issue('NOT_JSON_VALUE', '', `reading the record threw: ${String((err as Error)?.message ?? err)}`)] };
  }
}

function validateFields(input: unknown, ctx: ValidationContext): Validation {
  if (!isPlainObject(input)) {
    return { ok: false, errors: [issue('NOT_AN_OBJECT', '', `a record must be a JSON object, got ${describeType(input)}`)] };
  }
  const fields = input as Record<string, unknown>;
  const errors: Issue[] = [];
  const isProduct = fields['productId'] !== undefined;
  const record: NormalizedRecord = { kind: isProduct ? 'product' : 'event', eventId: '', time: Number.NaN };
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const sized: Size = { size: 0, escape: false };

  checkFieldNames(fields, isProduct, errors);
  for (const name of ID_FIELDS) readIdField(fields, name, record, errors, sized);
  checkRequired(fields, isProduct, errors);
  readTimestamp(fields['timestamp'], record, errors);
  readData(fields['data'], record, errors, limits, sized);
  if (isProduct && record.data !== undefined) checkPayloadData(record.data, errors);
  readUpdate(fields['attributes'], 'attributes', record, errors, limits, sized);
  readUpdate(fields['accountAttributes'], 'accountAttributes', record, errors, limits, sized);
  if (record.accountAttributes !== undefined && fields['accountId'] === undefined) {
    errors.push(issue('MISSING_FIELD', 'accountId', 'accountAttributes needs an accountId to apply to'));
  }
  if (sized.size > limits.maxRecordSize && !errors.some((e) => e.code === 'TOO_LARGE')) {
    errors.push(issue('TOO_LARGE', '', `the record is about ${sized.size} characters of JSON, more than ${limits.maxRecordSize}`));
  }
  if (errors.length > 0) return { ok: false, errors };
  if (sized.escape) record.keysEscaped = true;
  return { ok: true, record, warnings: placeholderWarnings(record, ctx) };
}

export function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && hasPlainPrototype(value);
}

function checkFieldNames(fields: Record<string, unknown>, isProduct: boolean, errors: Issue[]): void {
  // for-in over a plain object (its prototype holds no enumerable key): no array of its keys per record.
  for (const name in fields) {
    if (!Object.hasOwn(fields, name)) continue;
    if (!KNOWN_FIELDS.has(name)) {
      errors.push(issue('UNKNOWN_FIELD', name, `unknown field "${name}"; event properties go in data`));
    } else if (isProduct && (name === 'attributes' || name === 'accountAttributes') && fields[name] !== undefined) {
      errors.push(issue('NOT_ALLOWED', name, `a product payload (one with productId) cannot carry ${name}`));
    }
  }
}

function readIdField(fields: Record<string, unknown>, name: IdField, record: NormalizedRecord, errors: Issue[], sized: Size): void {
  const value = fields[name];
  if (value === undefined) return;
  const problem = checkIdentifier(value, name);
  if (problem === undefined) {
    record[name] = value as string;
    sized.size += (value as string).length + name.length + 5;
  } else errors.push(problem);
}

/** The issue with an identifier value (a string, not blank, at most 256 characters, no NUL, no lone surrogate), if any. */
export function checkIdentifier(value: unknown, path: string): Issue | undefined {
  const name = path.slice(path.lastIndexOf('.') + 1);
  if (typeof value !== 'string') return issue('WRONG_TYPE', path, `${name} must be a string, got ${describeType(value)}`);
  if (value.trim() === '') return issue('EMPTY_VALUE', path, `${name} must not be empty`);
  if (value.length > MAX_ID_LENGTH) return issue('TOO_LONG', path, `${name} is ${value.length} characters, more than ${MAX_ID_LENGTH}`);
  if (value.includes('\u0000')) return issue('INVALID_CHARACTER', path, `${name} must not contain the NUL character`);
  if (!value.isWellFormed()) return loneSurrogate(path, name);
  return undefined;
}

function checkRequired(fields: Record<string, unknown>, isProduct: boolean, errors: Issue[]): void {
  const required = isProduct ? ['data'] : ['eventId', 'sessionId', 'eventName', 'timestamp'];
  for (const name of required) {
    if (fields[name] === undefined) errors.push(issue('MISSING_FIELD', name, `${name} is required`));
  }
  if (!isProduct && fields['profileId'] === undefined && fields['userId'] === undefined) {
    errors.push(issue('MISSING_IDENTIFIER', 'profileId', 'an event needs a profileId or a userId'));
  }
}

export function readTimestamp(value: unknown, record: NormalizedRecord, errors: Issue[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    errors.push(issue('WRONG_TYPE', 'timestamp', `timestamp must be an ISO-8601 string with a zone, got ${describeType(value)}`));
    return;
  }
  const parsed = parseTimestamp(value);
  if (typeof parsed === 'string') errors.push(issue('INVALID_TIMESTAMP', 'timestamp', `timestamp "${value}" ${parsed}`));
  else record.time = parsed;
}

function readData(value: unknown, record: NormalizedRecord, errors: Issue[], limits: Limits, sized: Size): void {
  if (value === undefined) return;
  const json = readJsonObject(value, 'data', errors, limits, sized);
  if (json !== undefined) record.data = json;
}

/** A JSON object with `undefined` keys dropped, or undefined after reporting why it is not one. */
function readJsonObject(value: unknown, path: string, errors: Issue[], limits: Limits, sized: Size): JsonObject | undefined {
  if (!isPlainObject(value)) {
    errors.push(issue('WRONG_TYPE', path, `${path} must be an object, got ${describeType(value)}`));
    return undefined;
  }
  const checked = checkJsonValue(value, path, limits);
  sized.size += checked.size;
  if (checked.issues.length > 0) {
    errors.push(...checked.issues);
    return undefined;
  }
  const json = (checked.hasUndefined || checked.hasNegativeZero ? normalizedCopy(value) : value) as JsonObject;
  if (!checked.escape) return json;
  sized.escape = true;
  return escapeKeys(json);
}

function readUpdate(value: unknown, path: 'attributes' | 'accountAttributes', record: NormalizedRecord, errors: Issue[], limits: Limits, sized: Size): void {
  if (value === undefined) return;
  const update = validateAttributeUpdate(value, path, errors, limits, sized);
  if (update !== undefined) record[path] = update;
}

/** Validates `{ set?, setOnce?, unset? }`; returns it normalised, or undefined after reporting issues. */
export function validateAttributeUpdate(
  value: unknown,
  path: string,
  errors: Issue[],
  limits: Limits = DEFAULT_LIMITS,
  sized: Size = { size: 0, escape: false },
): AttributeUpdate | undefined {
  if (!isPlainObject(value)) {
    errors.push(issue('WRONG_TYPE', path, `${path} must be an object with set, setOnce or unset, got ${describeType(value)}`));
    return undefined;
  }
  const fields = value as Record<string, unknown>;
  const before = errors.length;
  for (const name of Object.keys(fields)) {
    if (!UPDATE_FIELDS.has(name)) errors.push(issue('UNKNOWN_FIELD', `${path}.${name}`, `unknown field "${name}"; use set, setOnce or unset`));
  }
  const update: AttributeUpdate = {};
  for (const name of ['set', 'setOnce'] as const) {
    if (fields[name] === undefined) continue;
    const json = readJsonObject(fields[name], `${path}.${name}`, errors, limits, sized);
    if (json !== undefined) update[name] = json;
  }
  const unset = readUnset(fields['unset'], `${path}.unset`, errors);
  if (unset !== undefined) {
    // Attribute names are keys of the stored state: escaped like every other key.
    if (unset.some(needsEscape)) sized.escape = true;
    update.unset = sized.escape ? unset.map(escapedKey) : unset;
  }
  const named = Object.keys(update.set ?? {}).length + Object.keys(update.setOnce ?? {}).length + (update.unset?.length ?? 0);
  if (named > limits.maxAttributesPerUpdate) {
    errors.push(issue('TOO_MANY_KEYS', path, `the update names ${named} attributes, more than ${limits.maxAttributesPerUpdate}`));
  }
  for (const key of update.unset ?? []) {
    if (update.set !== undefined && Object.hasOwn(update.set, key)) {
      errors.push(issue('CONFLICTING_UPDATE', `${path}.unset`, `"${key}" is both set and unset in one update`));
    }
  }
  return errors.length === before ? update : undefined;
}

function readUnset(value: unknown, path: string, errors: Issue[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((key) => typeof key === 'string' && key !== '')) {
    errors.push(issue('WRONG_TYPE', path, 'unset must be an array of non-empty attribute names'));
    return undefined;
  }
  const bad = (value as string[]).findIndex((key) => !key.isWellFormed());
  if (bad === -1) return value as string[];
  errors.push(loneSurrogate(`${path}[${bad}]`, 'an attribute name'));
  return undefined;
}

function placeholderWarnings(record: NormalizedRecord, ctx: ValidationContext): Issue[] {
  let warnings: Issue[] | undefined;
  for (const name of ['profileId', 'userId'] as const) {
    const value = record[name];
    if (value !== undefined && isPlaceholder(value, ctx.placeholders)) {
      (warnings ??= []).push(issue('PLACEHOLDER_IDENTIFIER', name, `${name} "${value}" is a placeholder: the event is stored but identifies nobody`));
    }
  }
  return warnings ?? NO_WARNINGS;
}

const NO_WARNINGS = Object.freeze([]) as unknown as Issue[];

/** True for identifiers such as `anonymous` or `null` that SDKs send when they know nobody. */
export function isPlaceholder(value: string, placeholders: ReadonlySet<string>): boolean {
  return placeholders.has(value.trim().toLowerCase());
}
