// What ingest calls answer: per record, and per batch.

import type { Issue } from './issues.js';

/** The answer for one record. */
export interface IngestResult {
  status: 'accepted' | 'duplicate' | 'rejected';
  /** The record's eventId (derived for product payloads sent without one); absent when unreadable. */
  eventId?: string;
  /** Log position of the stored record (of the first one, for a duplicate). */
  seq?: number;
  /** A duplicate whose content differs from the stored record: the stored one stays. */
  conflict?: boolean;
  /** Why the record was rejected. */
  errors?: Issue[];
  /** Accepted with remarks, e.g. a placeholder identifier. */
  warnings?: Issue[];
}

/** The answer for a batch. */
export interface BatchResult {
  accepted: number;
  duplicates: number;
  /** Duplicates whose content differs from the stored record. */
  conflicts: { index: number; eventId: string }[];
  rejected: { index: number; eventId?: string; errors: Issue[] }[];
  warnings: { index: number; warnings: Issue[] }[];
}

/** Running totals, persisted with every batch. */
export interface Counters {
  events: number;
  productUpdates: number;
  attributeUpdates: number;
  /** Catalog records written by feed imports: feed items and removals. */
  feedItems: number;
  productRemovals: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  /** Distinct identifiers seen, and profileIds linked to a userId. */
  profileIds: number;
  userIds: number;
  linkedProfileIds: number;
  sessions: number;
  accounts: number;
}

export function emptyCounters(): Counters {
  return {
    events: 0,
    productUpdates: 0,
    attributeUpdates: 0,
    feedItems: 0,
    productRemovals: 0,
    duplicates: 0,
    conflicts: 0,
    rejected: 0,
    profileIds: 0,
    userIds: 0,
    linkedProfileIds: 0,
    sessions: 0,
    accounts: 0,
  };
}

export function summarize(results: readonly IngestResult[]): BatchResult {
  const batch: BatchResult = { accepted: 0, duplicates: 0, conflicts: [], rejected: [], warnings: [] };
  results.forEach((result, index) => {
    if (result.status === 'accepted') batch.accepted++;
    else if (result.status === 'duplicate') batch.duplicates++;
    else
      batch.rejected.push(
        result.eventId === undefined ? { index, errors: result.errors ?? [] } : { index, eventId: result.eventId, errors: result.errors ?? [] },
      );
    if (result.conflict) batch.conflicts.push({ index, eventId: result.eventId ?? '' });
    if (result.warnings !== undefined) batch.warnings.push({ index, warnings: result.warnings });
  });
  return batch;
}
