// The secondary index keys a record implies: written by the writer, recomputed by verify.

import type { NormalizedRecord } from '../schema/record.js';
import { isPlaceholder } from '../schema/validate.js';
import { generationOf, indexKey, type IndexKey } from '../storage/keys.js';

/**
 * Events are indexed by profileId, userId, sessionId, accountId and eventName;
 * product payloads only by productId (they touch no profile). Placeholder
 * identifiers identify nobody, so they are not indexed: indexing them would
 * pile every anonymous event under one key.
 */
export function indexKeysOf(record: NormalizedRecord, seq: number, placeholders: ReadonlySet<string>): IndexKey[] {
  const gen = generationOf(seq);
  const { time } = record;
  if (record.kind === 'product') return [indexKey(gen, 'productId', record.productId!, time, seq)];
  const keys: IndexKey[] = [];
  const { profileId, userId, sessionId, accountId, eventName } = record;
  if (profileId !== undefined && !isPlaceholder(profileId, placeholders)) keys.push(indexKey(gen, 'profileId', profileId, time, seq));
  if (userId !== undefined && !isPlaceholder(userId, placeholders)) keys.push(indexKey(gen, 'userId', userId, time, seq));
  if (sessionId !== undefined) keys.push(indexKey(gen, 'sessionId', sessionId, time, seq));
  if (accountId !== undefined) keys.push(indexKey(gen, 'accountId', accountId, time, seq));
  if (eventName !== undefined) keys.push(indexKey(gen, 'eventName', eventName, time, seq));
  return keys;
}
