// Feed sources (a file path, a Buffer, a readable stream) as UTF-8 text chunks, and format detection.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { errors } from '../errors.js';

/** What `importFeed` reads: a file path, a Buffer, or a readable stream (any async iterable of Buffers or strings). */
export type FeedSource = string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;
export type FeedFormat = 'json' | 'xml';

/** Bytes read at a time from a file, and the size of the slices a Buffer source is cut into. */
const CHUNK_BYTES = 256 * 1024;
const BOM = '\uFEFF';

/** Opens a source as chunks; throws `INVALID_ARGUMENT` for something that is not a source, `NOT_FOUND` for a missing file. */
export async function openFeed(source: FeedSource): Promise<AsyncIterable<Uint8Array | string>> {
  if (typeof source === 'string') {
    const info = await stat(source).catch(() => undefined);
    if (info === undefined || !info.isFile()) throw errors.notFound(`feed file ${source}`);
    return createReadStream(source, { highWaterMark: CHUNK_BYTES });
  }
  if (source instanceof Uint8Array) return slices(source);
  if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
    return source as AsyncIterable<Uint8Array | string>;
  }
  throw errors.invalidArgument('source', 'must be a file path, a Buffer or a readable stream');
}

async function* slices(buffer: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < buffer.length; at += CHUNK_BYTES) yield buffer.subarray(at, at + CHUNK_BYTES);
}

/**
 * Decodes chunks as UTF-8 (a character split across chunks is kept whole)
 * and drops a leading byte-order mark.
 */
export async function* decodeText(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let first = true;
  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (first && text !== '') {
      first = false;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    if (text !== '') yield text;
  }
  const rest = decoder.end();
  if (rest !== '') yield rest;
}

/**
 * Reads text until its first character that is not white space, and tells
 * the format from it: `{` is JSON, `<` is XML, anything else (or nothing) is
 * undefined. Returns the text again, whole, for the reader.
 */
export async function detectFormat(text: AsyncIterable<string>): Promise<{ format: FeedFormat | undefined; text: AsyncIterable<string> }> {
  const iterator = text[Symbol.asyncIterator]();
  const seen: string[] = [];
  let format: FeedFormat | undefined;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) break;
    seen.push(next.value);
    const first = next.value.trimStart()[0];
    if (first !== undefined) {
      format = first === '{' ? 'json' : first === '<' ? 'xml' : undefined;
      break;
    }
  }
  return { format, text: replay(seen, iterator) };
}

async function* replay(seen: string[], rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield* seen;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}
