// What every adapter returns, the options it takes, and the issue helpers the adapters share.

import { describeType, issue, type Issue } from '../schema/issues.js';
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

/**
 * Maps every call of a body (`what`: 'call' or 'event') with `map`, which adds what is wrong to `issues` and returns
 * the call's records (undefined when it has none). A call with issues, or none mapped, becomes an error entry
 * naming the SDK's event id from `idField` when it can be read; the others' records are kept.
 */
export function mapCalls(
  calls: readonly unknown[],
  what: string,
  idField: string,
  map: (call: Record<string, unknown>, issues: Issue[]) => readonly EventInput[] | undefined,
): AdapterResult {
  const result: AdapterResult = { records: [], errors: [] };
  calls.forEach((call, index) => {
    const issues: Issue[] = [];
    const isCall = typeof call === 'object' && call !== null && !Array.isArray(call);
    const records = isCall ? map(call as Record<string, unknown>, issues) : undefined;
    if (!isCall) issues.push(issue('NOT_AN_OBJECT', '', `${what === 'event' ? 'an event' : 'a call'} must be an object, not ${describeType(call)}`));
    if (records !== undefined && issues.length === 0) {
      result.records.push(...records);
      return;
    }
    const id = isCall ? (call as Record<string, unknown>)[idField] : undefined;
    result.errors.push(typeof id === 'string' ? { index, input: call, eventId: id, errors: issues } : { index, input: call, errors: issues });
  });
  return result;
}
