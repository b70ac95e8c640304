// The catalog fields and the normalisation of each one's value (SPEC 5): pure, returns issues, never throws.

import { describeType, issue, loneSurrogate, type Issue } from './issues.js';
import type { JsonValue } from './json-value.js';

/** Fields every complete catalog entry has (`id` is the entry's key). */
export const REQUIRED_FIELDS = ['title', 'description', 'url', 'image_link'] as const;
/** Fields a catalog entry may have. */
export const OPTIONAL_FIELDS = ['price', 'brand', 'category', 'tags', 'availability', 'rating'] as const;
export const CATALOG_FIELDS: readonly CatalogField[] = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];

export type RequiredField = (typeof REQUIRED_FIELDS)[number];
export type OptionalField = (typeof OPTIONAL_FIELDS)[number];
export type CatalogField = RequiredField | OptionalField;

/** A price: `amount` ≥ 0; `currency` (ISO 4217, upper case) only when the source named one. */
export interface Price {
  amount: number;
  currency?: string;
}

export const AVAILABILITIES = ['in_stock', 'out_of_stock', 'preorder', 'backorder'] as const;
export type Availability = (typeof AVAILABILITIES)[number];

/** Longest brand, category, tag or id, in characters: they are index keys. */
export const MAX_KEY_VALUE_LENGTH = 256;

const FIELD_SET = new Set<string>(CATALOG_FIELDS);
const REQUIRED_SET = new Set<string>(REQUIRED_FIELDS);
const PRICE_TEXT = /^(\d+(?:\.\d+)?|\.\d+)(?:\s*([A-Za-z]{3}))?$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const HTTP_URL = /^https?:\/\//i;

/** True for the names of catalog fields (title … rating). */
export function isCatalogField(name: string): name is CatalogField {
  return FIELD_SET.has(name);
}

export function isRequiredField(name: string): name is RequiredField {
  return REQUIRED_SET.has(name);
}

/** A normalised value, `CLEAR` for "no value" (null, blank, no tags), or the issue that rejects it. */
export type Normalized = { value: JsonValue } | typeof CLEAR | Issue;
export const CLEAR = Object.freeze({ clear: true as const });

export function isIssue(result: Normalized): result is Issue {
  return (result as Issue).code !== undefined;
}

/**
 * Normalises one catalog field's raw value: strings trimmed, `"15.00 USD"` →
 * `{ amount: 15, currency: 'USD' }`, `in stock` → `in_stock`, tags as a list.
 * `null`, a blank string and an empty tag list mean "no value" (CLEAR).
 */
export function normalizeField(name: CatalogField, raw: unknown, path: string = name): Normalized {
  if (raw === null || raw === undefined) return CLEAR;
  switch (name) {
    case 'url':
    case 'image_link':
      return normalizeUrl(raw, path);
    case 'price':
      return normalizePrice(raw, path);
    case 'tags':
      return normalizeTags(raw, path);
    case 'availability':
      return normalizeAvailability(raw, path);
    case 'rating':
      return normalizeRating(raw, path);
    case 'brand':
    case 'category':
      return normalizeText(raw, path, MAX_KEY_VALUE_LENGTH);
    default:
      return normalizeText(raw, path, Number.POSITIVE_INFINITY);
  }
}

function normalizeText(raw: unknown, path: string, maxLength: number): Normalized {
  if (typeof raw !== 'string') return issue('WRONG_TYPE', path, `${path} must be a string, got ${describeType(raw)}`);
  const text = raw.trim();
  if (text === '') return CLEAR;
  if (text.length > maxLength) return issue('TOO_LONG', path, `${path} is ${text.length} characters, more than ${maxLength}`);
  if (maxLength !== Number.POSITIVE_INFINITY && text.includes('\u0000')) {
    return issue('INVALID_CHARACTER', path, `${path} must not contain the NUL character`);
  }
  if (!text.isWellFormed()) return loneSurrogate(path, path);
  return { value: text };
}

function normalizeUrl(raw: unknown, path: string): Normalized {
  const text = normalizeText(raw, path, Number.POSITIVE_INFINITY);
  if (!('value' in text)) return text;
  const value = text.value as string;
  // URL.canParse builds no URL object: several times cheaper than new URL() on the import's hot path.
  if (!HTTP_URL.test(value) || !URL.canParse(value)) {
    return issue('INVALID_URL', path, `${path} "${clip(value)}" is not an absolute http(s) URL`);
  }
  return text;
}

function normalizePrice(raw: unknown, path: string): Normalized {
  if (typeof raw === 'number') return priceOf(raw, undefined, path);
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text === '') return CLEAR;
    const match = PRICE_TEXT.exec(text);
    if (match === null) return issue('INVALID_PRICE', path, `${path} "${clip(text)}" is not a price such as 15.00 or "15.00 USD"`);
    return priceOf(Number(match[1]), match[2], path);
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const { amount, currency } = raw as { amount?: unknown; currency?: unknown };
    const keys = Object.keys(raw);
    if (typeof amount === 'number' && keys.every((key) => key === 'amount' || key === 'currency')) {
      if (currency === undefined) return priceOf(amount, undefined, path);
      if (typeof currency === 'string' && CURRENCY.test(currency)) return priceOf(amount, currency, path);
    }
  }
  return issue('INVALID_PRICE', path, `${path} must be a number, a string such as "15.00 USD", or { amount, currency }`);
}

function priceOf(amount: number, currency: string | undefined, path: string): Normalized {
  if (!Number.isFinite(amount) || amount < 0) return issue('INVALID_PRICE', path, `${path} must be a non-negative amount, got ${amount}`);
  const value = amount + 0; // -0 becomes 0: prices are stored and indexed as non-negative doubles
  return { value: currency === undefined ? { amount: value } : { amount: value, currency: currency.toUpperCase() } };
}

function normalizeTags(raw: unknown, path: string): Normalized {
  const list = typeof raw === 'string' ? raw.split(',') : raw;
  if (!Array.isArray(list)) return issue('WRONG_TYPE', path, `${path} must be a list of strings or a comma-separated string, got ${describeType(raw)}`);
  const tags: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const tag = normalizeText(list[i], `${path}[${i}]`, MAX_KEY_VALUE_LENGTH);
    if (isIssue(tag)) return tag;
    if ('value' in tag && !tags.includes(tag.value as string)) tags.push(tag.value as string);
  }
  return tags.length === 0 ? CLEAR : { value: tags };
}

function normalizeAvailability(raw: unknown, path: string): Normalized {
  if (typeof raw !== 'string') return issue('WRONG_TYPE', path, `${path} must be a string, got ${describeType(raw)}`);
  const text = raw.trim();
  if (text === '') return CLEAR;
  const value = text.toLowerCase().replace(/[\s-]+/g, '_');
  if ((AVAILABILITIES as readonly string[]).includes(value)) return { value };
  return issue('INVALID_AVAILABILITY', path, `${path} "${clip(text)}" is not one of in stock, out of stock, preorder, backorder`);
}

function normalizeRating(raw: unknown, path: string): Normalized {
  let rating = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text === '') return CLEAR;
    rating = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : Number.NaN;
  } else if (typeof raw !== 'number') {
    return issue('WRONG_TYPE', path, `${path} must be a number from 0 to 5, got ${describeType(raw)}`);
  }
  if (typeof rating !== 'number' || !(rating >= 0 && rating <= 5)) {
    return issue('INVALID_RATING', path, `${path} must be a number from 0 to 5, got ${clip(String(raw))}`);
  }
  return { value: rating };
}

/**
 * Checks the catalog fields inside a product payload's `data` (paths
 * `data.price`…): each must normalise, or be `null` to clear it. A blank
 * required field is `EMPTY_VALUE`; clear it with `null`.
 */
export function checkPayloadData(data: { [key: string]: JsonValue }, errors: Issue[]): void {
  for (const key of Object.keys(data)) {
    if (!isCatalogField(key) || data[key] === null) continue;
    const normalized = normalizeField(key, data[key], `data.${key}`);
    if (isIssue(normalized)) errors.push(normalized);
    else if (!('value' in normalized) && isRequiredField(key)) errors.push(issue('EMPTY_VALUE', `data.${key}`, `${key} must not be empty`));
  }
}

/** Keeps messages short when a value is long. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
