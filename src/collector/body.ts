// Request bodies: gunzipped when they start with gzip's magic bytes (whatever the headers say), then parsed per SDK.

import { gunzipSync } from 'node:zlib';
import type { Sdk } from './routes.js';

/** Why a body cannot be read: `413` when it inflates past the limit, `400` otherwise. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** Inflates a gzipped body (told by its first two bytes) up to `maxBytes`. */
export function inflate(raw: Buffer, maxBytes: number): Buffer {
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyError(413, `the body inflates to more than ${maxBytes} bytes`);
    throw new BodyError(400, `the body starts like gzip but does not inflate: ${(err as Error).message}`);
  }
}

/**
 * The JSON a body carries. PostHog's browser SDK may send a form, `data=<JSON or base64 JSON>`; every other
 * SDK sends JSON (RudderStack's Node SDK labels its gzipped JSON as a form).
 */
export function parseBody(raw: unknown, sdk: Sdk, maxBytes: number): unknown {
  // A POST without a body (or with a zero Content-Length) never reaches the parser: fastify leaves it undefined.
  if (!Buffer.isBuffer(raw)) throw new BodyError(400, 'the body is empty');
  const body = inflate(raw, maxBytes);
  let text = body.toString('utf8').trim();
  if (text === '') throw new BodyError(400, 'the body is empty');
  if (sdk === 'posthog' && text.startsWith('data=')) {
    const data = new URLSearchParams(text).get('data') ?? '';
    text = /^\s*[[{]/.test(data) ? data : Buffer.from(data, 'base64').toString('utf8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BodyError(400, `the body is not JSON: ${(err as Error).message}`);
  }
}
