// CollectorOptions: every option but the store optional, defaults frozen, checked once at start.

import { isIP } from 'node:net';
import type { EventDB } from '../db.js';
import { errors } from '../errors.js';

/** Options of `startCollector`. */
export interface CollectorOptions {
  /** An open, writable store. The collector does not close it. */
  db: EventDB;
  /** Interface to listen on (default `127.0.0.1`). A non-loopback host needs `writeKeys`. */
  host?: string;
  /** Port (default 8787; 0 picks a free one, see `url`). */
  port?: number;
  /** Keys a request must carry one of (Basic auth user, PostHog project key, Bearer token); none: no check. */
  writeKeys?: readonly string[];
  /** Largest body accepted, compressed and inflated alike (default 5 MiB): past it, 413. */
  bodyLimitBytes?: number;
  /** Records handed to the store and not yet durable past which requests get 503 with `Retry-After` (default 20,000). */
  maxPendingRecords?: number;
  /** Seconds in the `Retry-After` of a 503 (default 1). */
  retryAfterSeconds?: number;
  /** Request log (JSON lines, write keys never included): a stream such as `process.stderr`, or false (default). */
  log?: NodeJS.WritableStream | false;
}

export interface ResolvedCollectorOptions {
  db: EventDB;
  host: string;
  port: number;
  writeKeys: readonly string[];
  bodyLimitBytes: number;
  maxPendingRecords: number;
  retryAfterSeconds: number;
  log: NodeJS.WritableStream | false;
}

export const COLLECTOR_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8787,
  bodyLimitBytes: 5 * 2 ** 20,
  maxPendingRecords: 20_000,
  retryAfterSeconds: 1,
});

/** Applies defaults and checks every option, with a message that names it. */
export function resolveCollectorOptions(options: CollectorOptions): ResolvedCollectorOptions {
  if (typeof options !== 'object' || options === null) throw errors.invalidOptions('', 'must be an object');
  const { db, host = COLLECTOR_DEFAULTS.host, port = COLLECTOR_DEFAULTS.port, writeKeys = [], log = false } = options;
  if (typeof db !== 'object' || db === null || typeof db.ingestPrepared !== 'function') throw errors.invalidOptions('db', 'must be an open EventDB');
  if (typeof host !== 'string' || host === '') throw errors.invalidOptions('host', 'must be a host name or an IP address');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.invalidOptions('port', 'must be an integer from 0 to 65535');
  if (!Array.isArray(writeKeys) || writeKeys.some((key) => typeof key !== 'string' || key === '')) {
    throw errors.invalidOptions('writeKeys', 'must be an array of non-empty strings');
  }
  if (writeKeys.length === 0 && !isLoopback(host)) {
    throw errors.invalidOptions(
      'host',
      `${host} is not a loopback address and no write keys are set: anyone who can reach it could write to the store. Give write keys (--write-key) or listen on 127.0.0.1`,
    );
  }
  const positive = (name: 'bodyLimitBytes' | 'maxPendingRecords' | 'retryAfterSeconds'): number => {
    const value = options[name] ?? COLLECTOR_DEFAULTS[name];
    if (!Number.isSafeInteger(value) || value < 1) throw errors.invalidOptions(name, 'must be a positive integer');
    return value;
  };
  return {
    db,
    host,
    port,
    writeKeys,
    bodyLimitBytes: positive('bodyLimitBytes'),
    maxPendingRecords: positive('maxPendingRecords'),
    retryAfterSeconds: positive('retryAfterSeconds'),
    log,
  };
}

/** `localhost`, 127.0.0.0/8 and ::1 (and its IPv4-mapped form). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}
