// Validates feed items and the catalog fields of product payloads into normalised catalog data.

import { CATALOG_FIELDS, isCatalogField, isIssue, isRequiredField, normalizeField, type CatalogField } from './catalog-fields.js';
import { checkJsonValue, loneSurrogateKey, type JsonObject, type JsonValue } from './json-value.js';
import { describeType, issue, type Issue } from './issues.js';
import { checkIdentifier, isPlainObject } from './validate.js';

/**
 * A feed item's normalised content, as stored in its log record: the catalog
 * fields it carries (in CATALOG_FIELDS order) and, under `extra`, every other
 * field (in sorted key order).
 */
export type FeedItemData = { [field in CatalogField]?: JsonValue } & { extra?: JsonObject };

/** The outcome of validating one feed item; `id` is given whenever it could be read. */
export type FeedItemValidation = { ok: true; id: string; data: FeedItemData } | { ok: false; id?: string; errors: Issue[] };

/** A payload's `data` split into catalog fields and extra keys; `null` clears a field or key. */
export interface PayloadChanges {
  fields: [CatalogField, JsonValue | null][];
  extra: [string, JsonValue | null][];
}

/**
 * Validates a feed item: `id` and the required fields must be there, every
 * catalog field must normalise, other fields are kept under `extra`.
 * A numeric id is accepted and read as its decimal string.
 */
export function validateFeedItem(item: unknown): FeedItemValidation {
  if (!isPlainObject(item)) {
    return { ok: false, errors: [issue('NOT_AN_OBJECT', '', `a product must be an object, got ${describeType(item)}`)] };
  }
  const fields = item as Record<string, unknown>;
  const errors: Issue[] = [];
  const id = readId(fields['id'], errors);
  const data: FeedItemData = {};
  for (const name of CATALOG_FIELDS) {
    const normalized = normalizeField(name, fields[name]);
    if (isIssue(normalized)) errors.push(normalized);
    else if ('value' in normalized) data[name] = normalized.value;
    else if (isRequiredField(name)) errors.push(missing(name, fields[name]));
  }
  const extra = readExtra(fields, errors);
  if (extra !== undefined) data.extra = extra;
  if (errors.length > 0) return id === undefined ? { ok: false, errors } : { ok: false, id, errors };
  return { ok: true, id: id!, data };
}

function readId(raw: unknown, errors: Issue[]): string | undefined {
  if (raw === undefined || raw === null) {
    errors.push(issue('MISSING_FIELD', 'id', 'id is required'));
    return undefined;
  }
  const text = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : raw;
  const problem = checkIdentifier(text, 'id');
  if (problem !== undefined) {
    errors.push(problem);
    return undefined;
  }
  return text as string;
}

function missing(name: string, raw: unknown): Issue {
  return raw === undefined || raw === null ? issue('MISSING_FIELD', name, `${name} is required`) : issue('EMPTY_VALUE', name, `${name} must not be empty`);
}

/** Unknown fields, in sorted key order: a feed item's data is built in one order whatever the feed's, so its JSON text identifies its content. */
function readExtra(fields: Record<string, unknown>, errors: Issue[]): JsonObject | undefined {
  let extra: JsonObject | undefined;
  for (const key of Object.keys(fields).sort()) {
    if (key === 'id' || isCatalogField(key)) continue;
    const value = fields[key];
    if (value === undefined) continue;
    if (!key.isWellFormed()) {
      errors.push(loneSurrogateKey('', key));
      continue;
    }
    const checked = checkJsonValue(value, key);
    if (checked.issues.length > 0) errors.push(...checked.issues);
    else setOwn((extra ??= {}), key, value as JsonValue);
  }
  return extra;
}

/** Splits validated payload data into normalised catalog fields and extra keys (`null` = clear). */
export function payloadChanges(data: JsonObject): PayloadChanges {
  const changes: PayloadChanges = { fields: [], extra: [] };
  for (const key of Object.keys(data)) {
    const value = data[key]!;
    if (!isCatalogField(key)) {
      changes.extra.push([key, value]);
      continue;
    }
    const normalized = normalizeField(key, value);
    // Validation rejects values that do not normalise; only records logged before it existed can carry one: keep it in extra.
    if (isIssue(normalized)) changes.extra.push([key, value]);
    else changes.fields.push([key, 'value' in normalized ? normalized.value : null]);
  }
  return changes;
}

/** Sets an own property, even one named `__proto__`, without touching any prototype. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
