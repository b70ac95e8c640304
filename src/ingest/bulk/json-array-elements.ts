// Streams the elements of a top-level JSON array (stream-json), as re-serialised texts in chunks with their indexes.

import { Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';
import { errors, isEventDBError } from '../../errors.js';
import type { RawChunk } from './raw-chunk.js';

/**
 * Yields chunks of at most `chunkLines` elements. Each element is handed on as
 * `JSON.stringify(element)` so that workers treat both formats alike; the
 * rejects file shows that text. A malformed document stops with
 * `INVALID_INPUT`, after yielding the elements read before the error.
 */
export async function* jsonArrayChunks(bytes: AsyncIterable<Buffer>, chunkLines: number): AsyncGenerator<RawChunk> {
  const elements = Readable.from(bytes, { objectMode: false }).pipe(streamArray.withParserAsStream());
  let chunk: RawChunk = { lines: [], positions: [] };
  let count = 0;
  try {
    for await (const item of elements as AsyncIterable<{ key: number; value: unknown }>) {
      chunk.lines.push(JSON.stringify(item.value) ?? 'null');
      chunk.positions.push(item.key);
      count++;
      if (chunk.lines.length >= chunkLines) {
        yield chunk;
        chunk = { lines: [], positions: [] };
      }
    }
  } catch (err) {
    if (chunk.lines.length > 0) yield chunk;
    if (isEventDBError(err)) throw err;
    // The parser may have read further than the last element it handed on; those before it are ingested.
    throw errors.invalidInput('JSON array', `malformed JSON (${(err as Error).message}); the ${count} elements before it were read`, err);
  }
  if (chunk.lines.length > 0) yield chunk;
}
