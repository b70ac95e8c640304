// importFeed's options, result and progress types; options checked once with messages that name them.

import { inspect } from 'node:util';
import { errors } from '../errors.js';
import type { Issue } from '../schema/issues.js';
import { parseTimestamp } from '../schema/timestamp.js';
import type { FeedFormat } from './feed-source.js';

/** Options of `catalog.importFeed`; all optional. */
export interface ImportFeedOptions {
  /** `json` or `xml`; detected from the first character that is not white space (after a BOM) when absent. */
  format?: FeedFormat;
  /** `upsert` (default) adds and updates; `replace` also removes the entries the feed does not list. */
  mode?: 'upsert' | 'replace';
  /** Let a `replace` remove more than half of the catalog (refused otherwise). Default false. */
  allowMassRemoval?: boolean;
  /** The instant the feed describes: ISO-8601 with a zone, or epoch ms. Default: now, from the store's clock. */
  timestamp?: string | number;
  /** Items per write transaction, 1–10,000 (default 1,000). */
  batchSize?: number;
  /** Called after each batch is committed, and once at the end. */
  onProgress?: (progress: ImportProgress) => void;
}

/** Running totals of an import. */
export interface ImportProgress {
  /** Products read from the feed so far. */
  read: number;
  /** Feed items written: new products and changed ones. */
  imported: number;
  /** Valid items that would change nothing (already imported as they are). */
  unchanged: number;
  /** Invalid items so far. */
  rejected: number;
  /** Entries removed by a `replace`. */
  removed: number;
}

/** Why an import stopped early or left its removals undone. */
export interface FeedError {
  /** `MALFORMED_FEED`: the feed could not be read further; `MASS_REMOVAL_REFUSED`: a `replace` would remove more than half of the catalog. */
  code: 'MALFORMED_FEED' | 'MASS_REMOVAL_REFUSED';
  message: string;
  /** 1-based position of a syntax error, when the parser knows it. */
  line?: number;
  column?: number;
}

/** What `catalog.importFeed` resolves with. */
export interface ImportResult {
  /** The feed's format, as given or detected (undefined when it could not be told). */
  format: FeedFormat | undefined;
  read: number;
  imported: number;
  unchanged: number;
  removed: number;
  /** Every invalid item: its 0-based index among the feed's products, its id when readable, and its issues. */
  rejected: RejectedItem[];
  /** Set when the feed stopped early (items before it stay imported, a `replace` removes nothing) or a removal was refused. */
  error?: FeedError;
}

export interface RejectedItem {
  index: number;
  id?: string;
  errors: Issue[];
}

export interface ResolvedImportOptions {
  format: FeedFormat | undefined;
  replace: boolean;
  allowMassRemoval: boolean;
  time: number | undefined;
  batchSize: number;
  onProgress: ((progress: ImportProgress) => void) | undefined;
}

export const DEFAULT_BATCH_SIZE = 1000;
const MAX_BATCH_SIZE = 10_000;

/** Checks the options; throws `INVALID_ARGUMENT` naming the option. */
export function resolveImportOptions(options: ImportFeedOptions): ResolvedImportOptions {
  if (typeof options !== 'object' || options === null) throw errors.invalidArgument('options', 'must be an object');
  const { format, mode = 'upsert', allowMassRemoval = false, batchSize = DEFAULT_BATCH_SIZE, onProgress } = options;
  if (format !== undefined && format !== 'json' && format !== 'xml') throw errors.invalidArgument('options.format', "must be 'json' or 'xml'");
  if (mode !== 'upsert' && mode !== 'replace') throw errors.invalidArgument('options.mode', "must be 'upsert' or 'replace'");
  if (typeof allowMassRemoval !== 'boolean') throw errors.invalidArgument('options.allowMassRemoval', 'must be a boolean');
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw errors.invalidArgument('options.batchSize', `must be an integer from 1 to ${MAX_BATCH_SIZE}`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') throw errors.invalidArgument('options.onProgress', 'must be a function');
  return { format, replace: mode === 'replace', allowMassRemoval, time: timeOf(options.timestamp), batchSize, onProgress };
}

function timeOf(timestamp: unknown): number | undefined {
  if (timestamp === undefined) return undefined;
  if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp)) return timestamp;
  const parsed = typeof timestamp === 'string' ? parseTimestamp(timestamp) : 'is not an ISO-8601 string or epoch ms';
  if (typeof parsed === 'string')
    throw errors.invalidArgument('options.timestamp', `${typeof timestamp === 'string' ? timestamp : inspect(timestamp)} ${parsed}`);
  return parsed;
}
