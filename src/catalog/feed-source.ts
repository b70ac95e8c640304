// Feed sources (a file path, a Buffer, a readable stream) as UTF-8 text chunks, and format detection.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { errors } from '../errors.js';
import { MalformedFeedError } from './feed-item.js';

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

/**
 * Decompresses a gzip feed — told by its first two bytes, 1f 8b — as it is
 * read; any other feed passes through. A corrupt gzip stream is a malformed feed.
 */
export async function* gunzipIfNeeded(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  const iterator = chunks[Symbol.asyncIterator]();
  let head: Uint8Array | string = Buffer.alloc(0);
  while (typeof head !== 'string' && head.length < 2) {
    const next = await iterator.next();
    if (next.done === true) break;
    head = typeof next.value === 'string' ? next.value : Buffer.concat([head, next.value]);
  }
  const all = replay([head], iterator);
  if (typeof head === 'string' || head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* all;
    return;
  }
  const gunzip = createGunzip();
  const feeding = pipeline(Readable.from(all), gunzip);
  feeding.catch(() => undefined); // its error surfaces through gunzip below
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    throw new MalformedFeedError(`the feed is not valid gzip: ${(err as Error).message}`);
  }
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

async function* replay<T>(seen: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* seen;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}
