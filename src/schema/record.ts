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

/** The two kinds of record in the log. */
export type RecordKind = 'event' | 'product';

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
}

/** The outcome of validating one input. */
export type Validation =
  | { ok: true; record: NormalizedRecord; warnings: Issue[] }
  | { ok: false; errors: Issue[] };
