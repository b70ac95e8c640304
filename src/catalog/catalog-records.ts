// The log records of feed imports: feed items and removals, with eventIds derived from their content.

import type { FeedItemData } from '../schema/catalog-item.js';
import { canonicalJson } from '../schema/json-value.js';
import type { NormalizedRecord } from '../schema/record.js';
import { contentHash } from '../storage/hash.js';
import { escapeKeys, hasEscapableKeys } from '../schema/proto-keys.js';

/** True for the record kinds a feed import writes. */
export function isCatalogRecord(record: NormalizedRecord): boolean {
  return record.kind === 'feedItem' || record.kind === 'productRemoval';
}

/**
 * A feed item's record. Its eventId comes from the product's content alone
 * (`f-` + 128 bits of xxhash64 over the JSON of `[productId, data]`), not from
 * the import time, so importing the same item again is recognised without
 * reading the entry. `validateFeedItem` builds `data` in a fixed key order,
 * so plain JSON (three times cheaper than canonical JSON) identifies it.
 */
export function feedItemRecord(productId: string, data: FeedItemData, time: number): NormalizedRecord {
  const eventId = `f-${contentHash(JSON.stringify([productId, data]))}`;
  if (!hasEscapableKeys(data)) return { kind: 'feedItem', eventId, time, productId, data };
  return { kind: 'feedItem', eventId, time, productId, data: escapeKeys(data), keysEscaped: true };
}

/**
 * The eventId of an item whose content was imported before but that must be
 * written again, because payloads changed the entry since: the content and the
 * import time, so it is a new version that wins over those payloads (A, B, A leaves A).
 */
export function reassertedEventId(record: NormalizedRecord): string {
  return `f-${contentHash(JSON.stringify([record.productId, record.data, record.time]))}`;
}

/** A removal by a `replace` import: `r-` + hash of the product id and the import time. */
export function removalRecord(productId: string, time: number): NormalizedRecord {
  return { kind: 'productRemoval', eventId: `r-${contentHash(canonicalJson({ productId, time }))}`, time, productId };
}
