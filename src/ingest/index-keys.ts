// The secondary index keys a record implies: written by the writer, recomputed by verify.

import type { NormalizedRecord } from '../schema/record.js';
import { isPlaceholder } from '../schema/validate.js';
import { generationOf, indexKey, type IndexKey } from '../storage/keys.js';

/**
 * A behavioural event is indexed under its owner — its userId, else its
 * profileId (placeholders identify nobody and are skipped) — and under its
 * sessionId, accountId and eventName. Reading a unified profile merges the
 * owner ranges of its userId and profileIds, so re-homing a profileId moves
 * its history without rewriting an index entry. Product payloads, feed items
 * and product removals are indexed only by productId (they touch no profile);
 * attribute records not at all.
 */
export function indexKeysOf(record: NormalizedRecord, seq: number, placeholders: ReadonlySet<string>): IndexKey[] {
  const gen = generationOf(seq);
  const { time } = record;
  if (record.kind === 'product' || record.kind === 'feedItem' || record.kind === 'productRemoval') {
    return [indexKey(gen, 'productId', record.productId!, time, seq)];
  }
  if (record.kind === 'attributes') return [];
  const keys: IndexKey[] = [];
  const { profileId, userId, sessionId, accountId, eventName } = record;
  if (userId !== undefined && !isPlaceholder(userId, placeholders)) keys.push(indexKey(gen, 'userId', userId, time, seq));
  else if (profileId !== undefined && !isPlaceholder(profileId, placeholders)) keys.push(indexKey(gen, 'profileId', profileId, time, seq));
  if (sessionId !== undefined) keys.push(indexKey(gen, 'sessionId', sessionId, time, seq));
  if (accountId !== undefined) keys.push(indexKey(gen, 'accountId', accountId, time, seq));
  if (eventName !== undefined) keys.push(indexKey(gen, 'eventName', eventName, time, seq));
  return keys;
}
