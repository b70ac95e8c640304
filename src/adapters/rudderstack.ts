// fromRudderStack: a request body of a RudderStack SDK (rudder-sdk-node, the JS SDK) as eventdb records.

import type { AdapterResult } from './adapter-result.js';
import { fromSegmentSpec, type SegmentOptions } from './segment-spec.js';

/**
 * Maps one RudderStack request body (`{ batch: [...], sentAt }`, or one call) to eventdb records. RudderStack
 * follows the Segment spec; its SDKs put the device time in `originalTimestamp` and the session in
 * `context.sessionId`. See docs/adapters.md.
 *
 * @example
 * import { fromRudderStack } from 'eventdb/adapters';
 * const { records } = fromRudderStack(JSON.parse(body));
 */
export function fromRudderStack(payload: unknown, options: SegmentOptions = {}): AdapterResult {
  return fromSegmentSpec(payload, options, { source: 'rudderstack', timeFields: ['timestamp', 'originalTimestamp'] });
}
