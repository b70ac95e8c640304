// The secondary index keys a record implies: written by the writer, recomputed by verify.

import type { NormalizedRecord } from '../schema/record.js';
import { isPlaceholder } from '../schema/validate.js';
import { generationOf, IndexKind, type IndexKey } from '../storage/keys.js';

/** Receives one index key of a record: its kind code, value, time and seq. */
export type IndexKeyVisitor = (kind: number, value: string, time: number, seq: number) => void;

/**
 * A behavioural event is indexed under its owner — its userId, else its
 * profileId (placeholders identify nobody and are skipped) — and under its
 * sessionId, accountId and eventName. Reading a unified profile merges the
 * owner ranges of its userId and profileIds, so re-homing a profileId moves
 * its history without rewriting an index entry. Product payloads, feed items
 * and product removals are indexed only by productId (they touch no profile);
 * attribute records not at all. The writer and the replay take the keys one
 * by one (no key tuple per posting); verify collects them with `indexKeysOf`.
 */
export function visitIndexKeys(record: NormalizedRecord, seq: number, placeholders: ReadonlySet<string>, visit: IndexKeyVisitor): void {
  const { time } = record;
  if (record.kind === 'product' || record.kind === 'feedItem' || record.kind === 'productRemoval') {
    visit(IndexKind.productId, record.productId!, time, seq);
    return;
  }
  if (record.kind === 'attributes') return;
  const { profileId, userId, sessionId, accountId, eventName } = record;
  if (userId !== undefined && !isPlaceholder(userId, placeholders)) visit(IndexKind.userId, userId, time, seq);
  else if (profileId !== undefined && !isPlaceholder(profileId, placeholders)) visit(IndexKind.profileId, profileId, time, seq);
  if (sessionId !== undefined) visit(IndexKind.sessionId, sessionId, time, seq);
  if (accountId !== undefined) visit(IndexKind.accountId, accountId, time, seq);
  if (eventName !== undefined) visit(IndexKind.eventName, eventName, time, seq);
}

/** The index keys of a record, in `visitIndexKeys`'s order. */
export function indexKeysOf(record: NormalizedRecord, seq: number, placeholders: ReadonlySet<string>): IndexKey[] {
  const gen = generationOf(seq);
  const keys: IndexKey[] = [];
  visitIndexKeys(record, seq, placeholders, (kind, value, time, at) => keys.push([gen, kind, value, time, at]));
  return keys;
}
