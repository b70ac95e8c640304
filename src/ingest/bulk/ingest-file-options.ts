// Options and result of `ingestFile`: all-optional options, frozen defaults, validated once with messages that name the option.

import { errors } from '../../errors.js';
import type { Durability } from '../../options.js';
import type { FileFormat } from './file-reader.js';
import type { IngestProgress } from './progress.js';

/** Options of `db.ingestFile(path, options)`. */
export interface IngestFileOptions {
  /** `ndjson` or `json` (a top-level array); sniffed from the first character when absent. */
  format?: FileFormat;
  /** Worker threads that parse and validate (default 2); `0` parses on the calling thread. */
  workers?: number;
  /**
   * Records per chunk, per worker task and per commit (default 5,000, or the store's `limits.maxBatchSize` when
   * that is lower). A value over `limits.maxBatchSize` throws `LIMIT_EXCEEDED`.
   */
  batchSize?: number;
  /** Called at most every 250 ms while the file is ingested, and once at the end (`done: true`). */
  onProgress?: (progress: IngestProgress) => void;
  /** Where to write the rejected lines as NDJSON `{ line, input, errors }` (created or truncated). */
  rejectsPath?: string;
  /**
   * `durable`: each batch is flushed before the next is counted; `relaxed`: batches
   * resolve at commit. Either way the call resolves once everything is flushed.
   * Defaults to the store's `durability`.
   */
  durability?: Durability;
}

/** What `ingestFile` resolves to. */
export interface IngestFileResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Duplicates whose content differs from the stored record. */
  conflicts: number;
  /** Records read: non-blank lines, or array elements. `accepted + duplicates + rejected === lines`. */
  lines: number;
  /** Size of the file on disk. */
  bytes: number;
  elapsedMs: number;
  format: FileFormat;
  gzip: boolean;
}

export const INGEST_FILE_DEFAULTS = Object.freeze({ workers: 2, batchSize: 5_000 });
const MAX_WORKERS = 64;

export interface ResolvedIngestFileOptions {
  format: FileFormat | undefined;
  workers: number;
  batchSize: number;
  onProgress: ((progress: IngestProgress) => void) | undefined;
  rejectsPath: string | undefined;
  durability: Durability;
}

/**
 * Applies the defaults and checks each option; throws `INVALID_OPTIONS` naming the bad one, or `LIMIT_EXCEEDED`
 * for a `batchSize` over the store's `limits.maxBatchSize` (a chunk is one commit, bounded like an `ingestBatch` call).
 */
export function resolveIngestFileOptions(options: IngestFileOptions, storeDurability: Durability, maxBatchSize: number): ResolvedIngestFileOptions {
  if (typeof options !== 'object' || options === null) throw errors.invalidOptions('', 'must be an object');
  const { format, onProgress, rejectsPath } = options;
  if (format !== undefined && format !== 'ndjson' && format !== 'json') throw errors.invalidOptions('format', "must be 'ndjson' or 'json'");
  const workers = integerIn(options.workers ?? INGEST_FILE_DEFAULTS.workers, 0, MAX_WORKERS, 'workers');
  const batchSize = options.batchSize ?? Math.min(INGEST_FILE_DEFAULTS.batchSize, maxBatchSize);
  if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1)
    throw errors.invalidOptions('batchSize', 'must be a positive integer');
  if (batchSize > maxBatchSize) {
    throw errors.limitExceeded(
      'options.batchSize',
      `${batchSize} records per chunk, more than limits.maxBatchSize (${maxBatchSize}); lower batchSize or raise the limit`,
    );
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') throw errors.invalidOptions('onProgress', 'must be a function');
  if (rejectsPath !== undefined && (typeof rejectsPath !== 'string' || rejectsPath === '')) {
    throw errors.invalidOptions('rejectsPath', 'must be a non-empty string');
  }
  const durability = options.durability ?? storeDurability;
  if (durability !== 'durable' && durability !== 'relaxed') throw errors.invalidOptions('durability', "must be 'durable' or 'relaxed'");
  return { format, workers, batchSize, onProgress, rejectsPath, durability };
}

function integerIn(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidOptions(name, `must be an integer from ${min} to ${max.toLocaleString('en-US')}`);
  }
  return value;
}
