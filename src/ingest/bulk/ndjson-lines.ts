// Splits a byte stream into NDJSON lines, grouped in chunks with their 1-based line numbers.

import { errors } from '../../errors.js';
import type { RawChunk } from './raw-chunk.js';

/** A line longer than this is not a record anyone meant to send: stop rather than grow without bound. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Yields chunks of at most `chunkLines` non-blank lines. Line numbers count
 * every line, blank ones included, so they match what an editor shows. A
 * trailing `\r` (CRLF files) and a leading byte-order mark are dropped.
 */
export async function* ndjsonChunks(bytes: AsyncIterable<Buffer>, chunkLines: number): AsyncGenerator<RawChunk> {
  let rest: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  let chunk: RawChunk = { lines: [], positions: [] };
  const take = (line: string): RawChunk | undefined => {
    lineNo++;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (isBlank(line)) return undefined;
    chunk.lines.push(line);
    chunk.positions.push(lineNo);
    if (chunk.lines.length < chunkLines) return undefined;
    const full = chunk;
    chunk = { lines: [], positions: [] };
    return full;
  };
  for await (const data of bytes) {
    const buf = rest.length === 0 ? data : Buffer.concat([rest, data]);
    const end = buf.lastIndexOf(NEWLINE);
    if (end < 0) {
      rest = buf;
      if (rest.length > MAX_LINE_BYTES) throw errors.invalidInput(`line ${lineNo + 1}`, `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`);
      continue;
    }
    rest = buf.subarray(end + 1);
    for (const line of buf.toString('utf8', 0, end).split('\n')) {
      const full = take(line);
      if (full !== undefined) yield full;
    }
  }
  if (rest.length > 0) take(rest.toString('utf8'));
  if (chunk.lines.length > 0) yield chunk;
}

/** Empty or whitespace only (checked without allocating for the usual line that starts with `{`). */
function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  const first = line.charCodeAt(0);
  if (first !== 32 && first !== 9 && first !== 13) return false;
  return line.trim() === '';
}
