// Write keys: where each SDK puts its key, and the check (constant time) against the configured ones.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isObject } from '../adapters/common.js';

/**
 * Every key a request carries: the Basic auth user (Segment, RudderStack; any SDK configured with a header),
 * a Bearer token, the body's `writeKey` / `api_key` / `token` (PostHog's project key), the first event's
 * `api_key` or `properties.token` (posthog-js), and the query's `token` / `api_key` / `writeKey`.
 */
export function keysOf(headers: IncomingHttpHeaders, query: Record<string, unknown>, body: unknown): string[] {
  const keys: string[] = [];
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'basic') keys.push(Buffer.from(value, 'base64').toString('utf8').split(':')[0] ?? '');
    else if (scheme?.toLowerCase() === 'bearer') keys.push(value);
  }
  const fields = ['writeKey', 'api_key', 'token'];
  const collect = (from: unknown): void => {
    if (!isObject(from)) return;
    for (const field of fields) if (typeof from[field] === 'string') keys.push(from[field]);
  };
  collect(query);
  collect(body);
  const first: unknown = Array.isArray(body)
    ? (body as unknown[])[0]
    : isObject(body) && Array.isArray(body['batch'])
      ? (body['batch'] as unknown[])[0]
      : undefined;
  collect(first);
  if (isObject(first)) collect(first['properties']);
  return keys.filter((key) => key !== '');
}

/** Compares digests so the time taken says nothing about how much of a key matched. */
export class WriteKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get required(): boolean {
    return this.digests.length > 0;
  }

  /** True when no keys are configured, or one of `given` is configured. */
  allows(given: readonly string[]): boolean {
    if (!this.required) return true;
    return given.some((key) => {
      const candidate = digest(key);
      return this.digests.some((known) => timingSafeEqual(known, candidate));
    });
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** The URL as logged: values of parameters that may hold a key are replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|api_key|writeKey|write_key|key)=)[^&#]*/gi, '$1[redacted]');
}
