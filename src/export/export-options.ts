// What db.exportTo() takes and answers: a directory of Parquet or NDJSON files, or a ClickHouse table.

import type { ChangePosition } from '../changes/position.js';

/** Progress of a long export, reported about once a second and at the end. */
export interface ExportProgress {
  /** Records written by this run so far. */
  exported: number;
  /** The position of the last record written (undefined before the first). */
  position: ChangePosition | undefined;
  ratePerSec: number;
  elapsedMs: number;
  done: boolean;
}

interface CommonExportOptions {
  onProgress?: (progress: ExportProgress) => void;
  /** Aborting stops the export after the file or block being written; a re-run continues from there. */
  signal?: AbortSignal;
}

/** Files in a directory, with a `manifest.json` naming each file's first and last position. */
export interface FileExportOptions extends CommonExportOptions {
  format: 'parquet' | 'ndjson';
  /** The directory (created when missing). Files not in its manifest that look like ours are leftovers of a killed run: removed. */
  out: string;
  /**
   * Start just past this position in a directory without a manifest (default: the log's start). With a manifest,
   * the export continues after the manifest's last position; an `after` before it is refused (it would write
   * records twice), one past it leaves the records between out.
   */
  after?: ChangePosition;
  /** Rows per Parquet row group (default 100,000). */
  rowGroupRows?: number;
  /** A file is closed and a new one started once it reaches this size (default 256 MiB). */
  maxFileBytes?: number;
}

/** Rows into a ClickHouse table over HTTP (created when missing). */
export interface ClickHouseExportOptions extends CommonExportOptions {
  to: 'clickhouse';
  /** The server's HTTP interface, e.g. `http://127.0.0.1:8123`. */
  url: string;
  /** Default `events`. */
  table?: string;
  /** Default `default`. */
  database?: string;
  username?: string;
  password?: string;
  /** Start just past this position when the table is empty (default: the log's start); ignored otherwise unless later than its last position. */
  after?: ChangePosition;
  /**
   * Keep following the log: after the first pass, look for new records every `pollIntervalMs` (default 1,000) and
   * insert them, until `signal` aborts. Each pass is exactly once like a run of its own.
   */
  follow?: boolean;
  pollIntervalMs?: number;
  /** Rows per INSERT (default 100,000; at most 1,000,000, under the server's max_insert_block_size, so each is one block). */
  blockRows?: number;
}

export type ExportOptions = FileExportOptions | ClickHouseExportOptions;

/** What an export did. */
export interface ExportResult {
  /** Records written by this run. */
  exported: number;
  /** The run started just past this position (what the target already held, or `after`). */
  resumedAfter: ChangePosition;
  /** The last position the target holds after this run. */
  lastPosition: ChangePosition;
  elapsedMs: number;
  ratePerSec: number;
  /** File exports: the files this run wrote, in order. */
  files?: string[];
}
