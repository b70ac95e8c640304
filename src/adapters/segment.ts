// fromSegment: a request body of a Segment SDK (analytics-node, analytics.js, the HTTP API) as eventdb records.

import type { AdapterResult } from './adapter-result.js';
import { fromSegmentSpec, type SegmentOptions } from './segment-spec.js';

/**
 * Maps one Segment request body — `{ batch: [...], sentAt }` from `/v1/batch`, or one call from `/v1/track`,
 * `/v1/identify`… — to eventdb records. Calls that cannot be mapped come back in `errors`, with their index.
 * See docs/adapters.md for the mapping table.
 *
 * @example
 * import { fromSegment } from 'eventdb/adapters';
 * const { records, errors } = fromSegment(JSON.parse(body), { receivedAt: new Date() });
 * const result = await db.ingestBatch(records);
 */
export function fromSegment(payload: unknown, options: SegmentOptions = {}): AdapterResult {
  return fromSegmentSpec(payload, options, { source: 'segment', timeFields: ['timestamp', 'originalTimestamp'] });
}
