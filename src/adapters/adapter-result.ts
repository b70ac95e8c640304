// What every adapter returns, the options it takes, and the issue helpers the adapters share.

import type { Issue } from '../schema/issues.js';
import type { EventInput } from '../schema/record.js';

/** Options of every adapter. */
export interface AdapterOptions {
  /**
   * When the collector received the request (a `Date`, epoch ms or an ISO string; default: now). Used as the
   * timestamp of a call that carries none, and for `correctClockSkew`.
   */
  receivedAt?: Date | number | string;
  /**
   * Shift device timestamps by `receivedAt - sentAt` (Segment's and RudderStack's own correction). Off by
   * default: a corrected timestamp depends on when a retry arrives, so a re-sent batch would no longer be an
   * exact duplicate (see docs/adapters.md).
   */
  correctClockSkew?: boolean;
}

/** One call of the request body the adapter could not turn into records. */
export interface AdapterError {
  /** Position of the call in the body's batch (0 for a single call). */
  index: number;
  /** The call as sent; what the collector keeps in the quarantine. */
  input: unknown;
  /** The SDK's event id, when it could be read. */
  eventId?: string;
  /** What is wrong, with paths inside the call (`messageId`, `properties.$set`). */
  errors: Issue[];
}

/** What an adapter turns one request body into. */
export interface AdapterResult {
  /** eventdb records, ready for `db.ingestBatch`. */
  records: EventInput[];
  /** Calls that could not be mapped, one entry each. */
  errors: AdapterError[];
  /**
   * Set when the body as a whole is not this SDK's format (not JSON, no batch, a wrong envelope): the collector
   * answers 400 with it. `records` and `errors` are then empty.
   */
  bodyError?: Issue;
}

/** A result for a body that is not the SDK's format. */
export function badBody(bodyError: Issue): AdapterResult {
  return { records: [], errors: [], bodyError };
}
