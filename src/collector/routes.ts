// The SDKs' default paths, and which adapter reads each one.

import type { AdapterResult } from '../adapters/adapter-result.js';
import { fromPostHog } from '../adapters/posthog.js';
import { fromRudderStack } from '../adapters/rudderstack.js';
import { fromSegment } from '../adapters/segment.js';
import type { SegmentCallType } from '../adapters/segment-spec.js';
import { fromSnowplow } from '../adapters/snowplow.js';
import { isObject } from '../adapters/common.js';

/** The SDK family a path belongs to: it decides how the body is decoded, where the write key is, and the answer. */
export type Sdk = 'segment' | 'posthog' | 'snowplow';

/** One collector endpoint. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  sdk: Sdk;
  /** Maps the decoded body (or, for GET, the query) with the request's arrival time. */
  map(payload: unknown, receivedAt: number): AdapterResult;
}

/**
 * Segment and RudderStack share their paths. A body whose calls carry `originalTimestamp` (what every RudderStack
 * SDK sends) is read as RudderStack, any other as Segment; the two mappings differ only in derived ids.
 */
function segmentSpec(defaultType?: SegmentCallType): Route['map'] {
  return (payload, receivedAt) => {
    const first = isObject(payload) && Array.isArray(payload['batch']) ? (payload['batch'] as unknown[])[0] : payload;
    const rudder = isObject(first) && first['originalTimestamp'] !== undefined;
    const options = defaultType === undefined ? { receivedAt } : { receivedAt, defaultType };
    return rudder ? fromRudderStack(payload, options) : fromSegment(payload, options);
  };
}

const SEGMENT_SINGLE: readonly SegmentCallType[] = ['track', 'page', 'screen', 'identify', 'group', 'alias'];
const POSTHOG_PATHS = ['/batch', '/capture', '/e', '/i/v0/e', '/i/v1/analytics/events', '/track'];

/** Every endpoint, each also answering with a trailing slash. */
export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/batch', sdk: 'segment', map: segmentSpec() },
  { method: 'POST', path: '/v1/import', sdk: 'segment', map: segmentSpec() },
  ...SEGMENT_SINGLE.map((type): Route => ({ method: 'POST', path: `/v1/${type}`, sdk: 'segment', map: segmentSpec(type) })),
  ...POSTHOG_PATHS.map((path): Route => ({ method: 'POST', path, sdk: 'posthog', map: (payload, receivedAt) => fromPostHog(payload, { receivedAt }) })),
  { method: 'POST', path: '/com.snowplowanalytics.snowplow/tp2', sdk: 'snowplow', map: (payload, receivedAt) => fromSnowplow(payload, { receivedAt }) },
  { method: 'GET', path: '/i', sdk: 'snowplow', map: (payload, receivedAt) => fromSnowplow(payload, { receivedAt }) },
  { method: 'GET', path: '/com.snowplowanalytics.snowplow/i', sdk: 'snowplow', map: (payload, receivedAt) => fromSnowplow(payload, { receivedAt }) },
];
