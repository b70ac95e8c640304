// Record types: what callers send (inputs) and the normalised form the store works with.

import type { JsonObject } from './json-value.js';
import type { Issue } from './issues.js';

/** An attribute update: `set` and `unset` are last-writer-wins, `setOnce` keeps the earliest. */
export interface AttributeUpdate {
  set?: JsonObject;
  setOnce?: JsonObject;
  unset?: string[];
}

/** A behavioural event as sent by an SDK or a server. */
export interface EventInput {
  eventId: string;
  profileId?: string;
  userId?: string;
  sessionId: string;
  accountId?: string;
  pageId?: string;
  eventName: string;
  /** ISO-8601 date-time with a zone, e.g. `2026-01-31T10:00:00Z`. */
  timestamp: string;
  data?: JsonObject;
  attributes?: AttributeUpdate;
  accountAttributes?: AttributeUpdate;
}

/** A product ingestion payload (a record carrying `productId`). */
export interface ProductPayloadInput {
  productId: string;
  data: JsonObject;
  /** Derived from the content and the timestamp when absent. */
  eventId?: string;
  /** Defaults to the store's clock. */
  timestamp?: string;
  profileId?: string;
  userId?: string;
  sessionId?: string;
  accountId?: string;
  pageId?: string;
  eventName?: string;
}

/** Anything `ingest` takes. */
export type RecordInput = EventInput | ProductPayloadInput;

/**
 * The kinds of record in the log: behavioural events, product payloads,
 * attribute updates sent through `setAttributes`, and the catalog records of
 * feed imports — a feed item (a full description of a product) and a product
 * removal (by a `replace` import).
 */
export type RecordKind = 'event' | 'product' | 'attributes' | 'feedItem' | 'productRemoval';

/** Whose attributes `setAttributes` updates. */
export type AttributeTarget = { profileId: string } | { userId: string } | { accountId: string };

/** What `setAttributes` takes besides the target. */
export interface SetAttributesInput extends AttributeUpdate {
  /** ISO-8601 with a zone; defaults to the store's clock. */
  timestamp?: string;
  /** Where the values come from, e.g. `sdk`, `api`, `crm` (default `api`). */
  source?: string;
  /** Derived from the content and the timestamp when absent. */
  eventId?: string;
}

/** A validated record, normalised: timestamp in epoch ms, absent optionals left out. */
export interface NormalizedRecord {
  kind: RecordKind;
  /** Empty until derived, for product payloads sent without one. */
  eventId: string;
  /** Epoch ms; NaN until defaulted, for product payloads sent without a timestamp. */
  time: number;
  profileId?: string;
  userId?: string;
  sessionId?: string;
  accountId?: string;
  pageId?: string;
  eventName?: string;
  productId?: string;
  data?: JsonObject;
  attributes?: AttributeUpdate;
  accountAttributes?: AttributeUpdate;
  /** For attribute records: where the values come from. */
  source?: string;
  /** Keys named `__proto__` inside are stored escaped (see schema/proto-keys.ts); unescaped at the API boundary. */
  keysEscaped?: true;
}

/** The outcome of validating one input. */
export type Validation = { ok: true; record: NormalizedRecord; warnings: Issue[] } | { ok: false; errors: Issue[] };
