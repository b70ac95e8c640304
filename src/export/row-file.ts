// A file of export rows being written: Parquet or NDJSON, to a temp path, flushed to disk before it is renamed.

import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import type { ExportRow } from './export-row.js';

/** One file being written. Rows arrive in groups (a Parquet row group each). */
export interface RowFile {
  writeGroup(rows: readonly ExportRow[]): void;
  /** Bytes written so far. */
  bytes(): number;
  /** Writes what remains (a Parquet footer), flushes the file to disk and closes it. */
  finish(): void;
  /** Closes and deletes the temp file. */
  abort(): void;
}

/** Appends bytes to a file through one descriptor, with fsync at the end. */
export class FileSink {
  private readonly fd: number;
  written = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  append(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    this.written += bytes.length;
  }

  close(sync: boolean): void {
    if (sync) fsyncSync(this.fd);
    closeSync(this.fd);
  }

  remove(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Closed already.
    }
    rmSync(this.path, { force: true });
  }
}
