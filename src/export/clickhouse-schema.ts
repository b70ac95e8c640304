// The ClickHouse table an export creates, in column types old servers support (checked against 18.16).

import type { ExportRow } from './export-row.js';

/** DateTime holds whole seconds from 1970 to 2106 as UInt32: times outside are clamped there (timestampMs stays exact). */
const MAX_DATETIME_SEC = 4_294_967_295;

/**
 * One row per log record. Absent identifiers are '' (String, not Nullable: the sorting key cannot hold Nullable
 * columns on old servers, and no identifier is ever empty). `timestamp` is DateTime (seconds, UTC) for date
 * functions and partitions; `timestampMs` keeps the exact epoch milliseconds (DateTime64 does not exist before
 * 20.1). Months partition the table; rows are sorted by (profileId, timestamp, position) for per-profile reads
 * in time order, and per-time queries prune by partition.
 */
export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  position UInt64,
  kind String,
  eventId String,
  eventName String,
  profileId String,
  userId String,
  sessionId String,
  accountId String,
  pageId String,
  productId String,
  timestamp DateTime,
  timestampMs Int64,
  data String,
  attributes String,
  accountAttributes String,
  source String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (profileId, timestamp, position)`;
}

export function toClickHouseRow(row: ExportRow): Record<string, string | number> {
  return {
    position: row.position,
    kind: row.kind,
    eventId: row.eventId,
    eventName: row.eventName ?? '',
    profileId: row.profileId ?? '',
    userId: row.userId ?? '',
    sessionId: row.sessionId ?? '',
    accountId: row.accountId ?? '',
    pageId: row.pageId ?? '',
    productId: row.productId ?? '',
    timestamp: Math.min(Math.max(Math.floor(row.timestamp / 1000), 0), MAX_DATETIME_SEC),
    timestampMs: row.timestamp,
    data: row.data ?? '',
    attributes: row.attributes ?? '',
    accountAttributes: row.accountAttributes ?? '',
    source: row.source ?? '',
  };
}
