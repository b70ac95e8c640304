// Exports the log to a directory of Parquet or NDJSON files with a manifest: exactly once across re-runs.

import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { positionOf, seqOfPosition } from '../changes/position.js';
import { EXPORT_COLUMNS, toExportRow, type ExportRow } from './export-row.js';
import type { ExportResult, FileExportOptions } from './export-options.js';
import { emptyManifest, fileName, fsyncPath, readManifest, removeLeftovers, writeManifest, type Manifest } from './manifest.js';
import { openNdjsonFile } from './ndjson-file.js';
import { openParquetFile } from './parquet-file.js';
import type { RowFile } from './row-file.js';
import { ProgressMeter, sizeOption, type ChangeSource } from './export-progress.js';

const DEFAULT_ROW_GROUP_ROWS = 100_000;
const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Records read per page of the change feed. */
const FEED_PAGE = 5_000;

/** The file being written: its temp path and the positions it holds so far. */
interface OpenFile {
  file: RowFile;
  temp: string;
  first: string;
  last: string;
  rows: number;
}

/**
 * Writes the records after the manifest's last position (or `after`) in row groups, closing a file once it reaches
 * `maxFileBytes`. Each file is written under a temp name, flushed, renamed into place, and only then named in the
 * manifest (itself replaced atomically): a run killed at any point leaves the manifest naming whole files only,
 * and the next run removes what the manifest does not name and continues after its last position.
 */
export async function exportToFiles(changes: ChangeSource, options: FileExportOptions): Promise<ExportResult> {
  const rowGroupRows = sizeOption(options.rowGroupRows, 'rowGroupRows', 10_000_000, DEFAULT_ROW_GROUP_ROWS);
  const maxFileBytes = sizeOption(options.maxFileBytes, 'maxFileBytes', Number.MAX_SAFE_INTEGER, DEFAULT_MAX_FILE_BYTES);
  const dir = options.out;
  prepareDirectory(dir);
  const existing = readManifest(dir);
  if (existing !== undefined && existing.format !== options.format) {
    throw errors.invalidArgument('options.format', `${dir} holds a ${existing.format} export; export ${options.format} to another directory`);
  }
  removeLeftovers(dir, existing);
  const manifest = existing ?? emptyManifest(options.format, EXPORT_COLUMNS, positionOf(seqOfPosition(options.after)));
  const after = resumePoint(manifest, existing !== undefined, options.after);
  manifest.lastPosition = after;
  const extension = options.format;
  const open = options.format === 'parquet' ? openParquetFile : openNdjsonFile;
  const meter = new ProgressMeter(options.onProgress);
  const written: string[] = [];
  let current: OpenFile | undefined;
  let group: ExportRow[] = [];

  const flushGroup = (): void => {
    if (group.length === 0) return;
    const first = String(group[0]!.position);
    const last = String(group.at(-1)!.position);
    if (current === undefined) {
      const temp = join(dir, `.tmp-${process.pid}-${first}.${extension}`);
      current = { file: open(temp), temp, first, last, rows: 0 };
    }
    current.file.writeGroup(group);
    current.last = last;
    current.rows += group.length;
    meter.add(group.length, last);
    group = [];
    if (current.file.bytes() >= maxFileBytes) {
      written.push(finishFile(dir, current, manifest, extension));
      current = undefined;
    }
  };

  try {
    for await (const change of changes({ after, pageSize: FEED_PAGE, ...(options.signal === undefined ? {} : { signal: options.signal }) })) {
      group.push(toExportRow(change));
      if (group.length >= rowGroupRows) flushGroup();
    }
    flushGroup();
    if (current !== undefined) written.push(finishFile(dir, current, manifest, extension));
    current = undefined;
    writeManifest(dir, manifest);
  } finally {
    current?.file.abort();
  }
  const progress = meter.end();
  return {
    exported: progress.exported,
    resumedAfter: after,
    lastPosition: manifest.lastPosition,
    elapsedMs: progress.elapsedMs,
    ratePerSec: progress.ratePerSec,
    files: written,
  };
}

/** Where this run starts: after the manifest's last position; `after` may skip ahead of it, never back. */
function resumePoint(manifest: Manifest, hadManifest: boolean, after: string | undefined): string {
  if (after === undefined || !hadManifest) return manifest.lastPosition;
  const requested = seqOfPosition(after);
  const last = seqOfPosition(manifest.lastPosition, 'manifest.lastPosition');
  if (requested < last) {
    throw errors.invalidArgument(
      'after',
      `${after} is before ${manifest.lastPosition}, the last position this directory's manifest holds; exporting from there would write records twice`,
    );
  }
  return positionOf(requested);
}

/** Finishes a file: flushed, renamed into place, then named in the manifest. Returns its name. */
function finishFile(dir: string, open: OpenFile, manifest: Manifest, extension: string): string {
  open.file.finish();
  const name = fileName(open.first, open.last, extension);
  renameSync(open.temp, join(dir, name));
  fsyncPath(dir);
  manifest.files.push({ name, firstPosition: open.first, lastPosition: open.last, rows: open.rows, bytes: statSync(join(dir, name)).size });
  manifest.lastPosition = open.last;
  writeManifest(dir, manifest);
  return name;
}

function prepareDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw errors.invalidArgument('options.out', `cannot use ${dir} as an export directory: ${(err as Error).message}`);
  }
}
