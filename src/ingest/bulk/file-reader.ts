// Reads an input file as chunks of raw records: opens it (gzip or not), tells NDJSON from a JSON array, splits it.

import { errors, isEventDBError } from '../../errors.js';
import { openFileSource, type FileSource } from './file-source.js';
import { jsonArrayChunks } from './json-array-elements.js';
import { ndjsonChunks } from './ndjson-lines.js';
import type { RawChunk } from './raw-chunk.js';

/** The formats `ingestFile` reads. */
export type FileFormat = 'ndjson' | 'json';

/** An open input file: its chunks, its format, and how far the reading is. */
export interface FileReader {
  chunks: AsyncGenerator<RawChunk>;
  /** Known once the first chunk has been asked for (sniffed when not given). */
  format(): FileFormat | undefined;
  gzip: boolean;
  bytesTotal: number;
  bytesRead: () => number;
  /** Stops reading and releases the file. */
  close(): void;
}

/**
 * Opens `path`. Without `format`, the first non-blank character decides: `[`
 * is a JSON array, anything else NDJSON. Throws `INVALID_ARGUMENT` when the
 * file cannot be opened; the chunks throw `INVALID_INPUT` on corrupt content.
 */
export async function openFileReader(path: string, chunkLines: number, format?: FileFormat): Promise<FileReader> {
  let source: FileSource;
  try {
    source = await openFileSource(path);
  } catch (err) {
    throw errors.invalidArgument('path', `cannot read ${path}: ${describeFsError(err)}`);
  }
  let detected = format;
  async function* chunks(): AsyncGenerator<RawChunk> {
    const bytes = guarded(source);
    const head = await sniff(bytes);
    detected ??= head.firstChar === '[' ? 'json' : 'ndjson';
    const all = prepend(head.buffers, bytes);
    yield* detected === 'json' ? jsonArrayChunks(all, chunkLines) : ndjsonChunks(all, chunkLines);
  }
  return { chunks: chunks(), format: () => detected, gzip: source.gzip, bytesTotal: source.bytesTotal, bytesRead: source.bytesRead, close: source.close };
}

/** The source's bytes; read and gunzip failures become `INVALID_INPUT` errors. */
async function* guarded(source: FileSource): AsyncGenerator<Buffer> {
  try {
    for await (const data of source.stream) yield data as Buffer;
  } catch (err) {
    if (isEventDBError(err)) throw err;
    const what = source.gzip ? 'gzip data' : 'file';
    throw errors.invalidInput(what, `cannot be read: ${describeFsError(err)}`, err);
  } finally {
    source.close();
  }
}

/** Reads until the first non-blank character (after a byte-order mark), keeping what was read. */
async function sniff(bytes: AsyncGenerator<Buffer>): Promise<{ buffers: Buffer[]; firstChar: string | undefined }> {
  const buffers: Buffer[] = [];
  for (;;) {
    const next = await bytes.next();
    if (next.done === true) return { buffers, firstChar: undefined };
    buffers.push(next.value);
    const text = next.value.toString('utf8', 0, Math.min(next.value.length, 4096)).replace(/^\uFEFF/, '');
    const match = /\S/.exec(text);
    if (match !== null) return { buffers, firstChar: match[0] };
  }
}

async function* prepend(head: readonly Buffer[], rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  yield* rest;
}

/** `no such file or directory` rather than `ENOENT: no such file or directory, open '…'`. */
export function describeFsError(err: unknown): string {
  const message = String((err as Error)?.message ?? err);
  const stripped = /^E[A-Z]+: ([^,]+)/.exec(message);
  return stripped?.[1] ?? message;
}
