// The public API of eventdb, exported by name.

export { EventDB } from './db.js';
export type { Stats, QuarantineApi } from './db.js';
export { EventDBError, isEventDBError } from './errors.js';
export type { EventDBErrorCode } from './errors.js';
export { DEFAULT_PLACEHOLDER_IDS } from './options.js';
export type { EventDBOptions, Durability } from './options.js';
export type { Issue, IssueCode } from './schema/issues.js';
export type { JsonValue, JsonObject } from './schema/json-value.js';
export type { AttributeUpdate, EventInput, ProductPayloadInput, RecordInput, RecordKind } from './schema/record.js';
export type { IngestResult, BatchResult } from './ingest/results.js';
export type { EventsQuery } from './query/events-query.js';
export type { Lazy } from './query/lazy.js';
export type { StoredRecord } from './storage/record-codec.js';
export type { QuarantinedRecord } from './storage/quarantine-store.js';
export type { ProductEntry } from './catalog/product-entry.js';
export type { VerifyReport, Difference } from './query/verify.js';
export type { Profile, Account, Session } from './projections/views.js';
export type { ProfileLookup } from './projections/read-model.js';
export type { AttributeValue } from './projections/attributes.js';
export type { ComputedAttribute, ComputedOp } from './projections/computed.js';
export type { AttributeTarget, SetAttributesInput } from './schema/record.js';
