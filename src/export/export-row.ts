// One log record as a flat row: the columns every export target shares.

import type { Change } from '../changes/change-feed.js';

/**
 * The exported columns. Identifiers absent from a record are null; `data`, `attributes` and
 * `accountAttributes` are JSON text (null when absent); `timestamp` is epoch milliseconds.
 */
export interface ExportRow {
  position: number;
  kind: string;
  eventId: string;
  eventName: string | null;
  profileId: string | null;
  userId: string | null;
  sessionId: string | null;
  accountId: string | null;
  pageId: string | null;
  productId: string | null;
  /** Event time, epoch milliseconds (the record's `time`). */
  timestamp: number;
  data: string | null;
  attributes: string | null;
  accountAttributes: string | null;
  source: string | null;
}

/** Column names in file order. */
export const EXPORT_COLUMNS = [
  'position',
  'kind',
  'eventId',
  'eventName',
  'profileId',
  'userId',
  'sessionId',
  'accountId',
  'pageId',
  'productId',
  'timestamp',
  'data',
  'attributes',
  'accountAttributes',
  'source',
] as const satisfies readonly (keyof ExportRow)[];

export function toExportRow({ position, record }: Change): ExportRow {
  return {
    position: Number(position),
    kind: record.kind,
    eventId: record.eventId,
    eventName: record.eventName ?? null,
    profileId: record.profileId ?? null,
    userId: record.userId ?? null,
    sessionId: record.sessionId ?? null,
    accountId: record.accountId ?? null,
    pageId: record.pageId ?? null,
    productId: record.productId ?? null,
    timestamp: record.time,
    data: record.data === undefined ? null : JSON.stringify(record.data),
    attributes: record.attributes === undefined ? null : JSON.stringify(record.attributes),
    accountAttributes: record.accountAttributes === undefined ? null : JSON.stringify(record.accountAttributes),
    source: record.source ?? null,
  };
}
