// eventdb/adapters: SDK request bodies (Segment, RudderStack, PostHog, Snowplow) as eventdb records, and the HTTP collector.

export { fromSegment } from './adapters/segment.js';
export { fromRudderStack } from './adapters/rudderstack.js';
export { fromPostHog } from './adapters/posthog.js';
export { fromSnowplow } from './adapters/snowplow.js';
export { SEGMENT_CALL_TYPES } from './adapters/segment-spec.js';
export type { SegmentOptions, SegmentCallType } from './adapters/segment-spec.js';
export type { PostHogOptions } from './adapters/posthog.js';
export type { SnowplowOptions } from './adapters/snowplow.js';
export type { AdapterOptions, AdapterResult, AdapterError } from './adapters/adapter-result.js';
export type { Collector } from './collector/collector.js';
export type { CollectorOptions } from './collector/collector-options.js';

import type { Collector } from './collector/collector.js';
import type { CollectorOptions } from './collector/collector-options.js';

/**
 * Starts the HTTP collector (fastify) in this process, on an open store: the SDKs' default paths, `GET /health`,
 * `GET /metrics`. Loaded on first call, so the adapters alone pull in no HTTP server. See docs/collector.md.
 *
 * @example
 * import { EventDB } from 'eventdb';
 * import { startCollector } from 'eventdb/adapters';
 * const db = await EventDB.open({ path: './data' });
 * const { url, close } = await startCollector({ db, host: '127.0.0.1', port: 8787, writeKeys: ['secret'] });
 */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const { startCollector: start } = await import('./collector/collector.js');
  return start(options);
}
