// ingestFile: reader → worker pool → single writer, chunks committed in file order with a bounded number in flight.

import { errors } from '../../errors.js';
import type { Durability } from '../../options.js';
import type { Validation } from '../../schema/record.js';
import type { IngestResult } from '../../schema/results.js';
import { openFileReader } from './file-reader.js';
import { resolveIngestFileOptions, type IngestFileOptions, type IngestFileResult, type ResolvedIngestFileOptions } from './ingest-file-options.js';
import type { LineOutcome } from './parse-chunk.js';
import { ProgressTracker } from './progress.js';
import type { RawChunk } from './raw-chunk.js';
import { RejectsFile, type RejectEntry } from './rejects-file.js';
import { inlinePool, startPool, type ChunkPool } from './worker-pool.js';
import type { Limits } from '../../schema/limits.js';

/** What bulk ingest needs from the store: the single writer, and the checks of an open store. */
export interface BulkIngestTarget {
  writeValidated(inputs: readonly unknown[], validations: readonly Validation[], durability: Durability): Promise<IngestResult[]>;
  placeholderIds: ReadonlySet<string>;
  limits: Limits;
  durability: Durability;
  ensureOpen(): void;
}

/** Commits issued and not yet awaited: one is written while the next is prepared. */
const COMMITS_IN_FLIGHT = 2;

interface Parsing {
  chunk: RawChunk;
  /** Bytes of the file read when the chunk was cut: its position, for progress. */
  bytesAt: number;
  outcomes: Promise<LineOutcome[]>;
}

interface Committing {
  chunk: RawChunk;
  bytesAt: number;
  results: Promise<IngestResult[]>;
}

/** Ingests an NDJSON or JSON-array file (gzip or not); see `EventDB.ingestFile`. */
export async function ingestFile(target: BulkIngestTarget, path: string, options: IngestFileOptions = {}): Promise<IngestFileResult> {
  const opts = resolveIngestFileOptions(options, target.durability, target.limits.maxBatchSize);
  const started = performance.now();
  const reader = await openFileReader(path, opts.batchSize, opts.format);
  const progress = new ProgressTracker(started, reader.bytesTotal, opts.onProgress);
  let rejects: RejectsFile | undefined;
  let pool: ChunkPool | undefined;
  /**
   * Whatever happened, what was committed is flushed and its rejects are on disk before the call settles. A failed
   * final flush rejects the call with the writer's error (`WRITE_FAILED` naming the cause): the records may not be
   * on disk, so the call must not resolve as if they were.
   */
  const finish = async (): Promise<void> => {
    reader.close();
    let flushFailure: Error | undefined;
    if (pool !== undefined) {
      await target.writeValidated([], [], 'durable').catch((err: unknown) => {
        flushFailure = err instanceof Error ? err : new Error(`the final flush failed: ${String(err)}`);
      });
    }
    await pool?.close();
    await rejects?.close();
    if (flushFailure !== undefined) throw flushFailure;
  };
  try {
    if (opts.rejectsPath !== undefined) rejects = await RejectsFile.create(opts.rejectsPath);
    pool = opts.workers === 0 ? inlinePool(target.placeholderIds, target.limits) : startPool(opts.workers, target.placeholderIds, target.limits);
    await new Pipeline(target, opts, pool, progress, rejects).run(reader.chunks, reader.bytesRead);
  } catch (err) {
    // The call fails with its own error; a flush failure after it would only repeat the cause.
    await finish().catch(() => undefined);
    throw err;
  }
  await finish();
  progress.maybeReport(true);
  const { accepted, duplicates, rejected, conflicts, linesRead } = progress.counts;
  const format = reader.format() ?? 'ndjson';
  return { accepted, duplicates, rejected, conflicts, lines: linesRead, bytes: reader.bytesTotal, elapsedMs: progress.elapsedMs(), format, gzip: reader.gzip };
}

/** The three stages and the queues between them. */
class Pipeline {
  private readonly parsing: Parsing[] = [];
  private readonly committing: Committing[] = [];
  private readonly maxParsing: number;

  constructor(
    private readonly target: BulkIngestTarget,
    private readonly opts: ResolvedIngestFileOptions,
    private readonly pool: ChunkPool,
    private readonly progress: ProgressTracker,
    private readonly rejects: RejectsFile | undefined,
  ) {
    // Two chunks per worker keep every worker busy while the writer takes the oldest.
    this.maxParsing = Math.max(2, opts.workers * 2);
  }

  /**
   * Runs to the end of the file. When the file turns out malformed, the
   * records read before the fault are still committed, then the read error
   * is thrown; any other failure stops at once.
   */
  async run(chunks: AsyncIterator<RawChunk>, bytesRead: () => number): Promise<void> {
    let readFailed = false;
    let readFailure: unknown;
    try {
      for (;;) {
        const next = await chunks.next().catch((err: unknown) => {
          readFailed = true;
          readFailure = err;
          return { done: true as const, value: undefined };
        });
        if (next.done === true) break;
        this.parsing.push({ chunk: next.value, bytesAt: bytesRead(), outcomes: handled(this.pool.run({ lines: next.value.lines })) });
        while (this.parsing.length >= this.maxParsing) await this.commitOldest();
      }
      while (this.parsing.length > 0) await this.commitOldest();
      while (this.committing.length > 0) await this.settleOldest();
    } catch (err) {
      await this.drain();
      throw err;
    }
    if (readFailed) throw readFailure;
  }

  /** Waits for the oldest chunk's parse and issues its commit: chunks reach the writer in file order. */
  private async commitOldest(): Promise<void> {
    const { chunk, bytesAt, outcomes: pending } = this.parsing.shift()!;
    const outcomes = await pending.catch((err: unknown) => {
      throw errors.workerFailed(chunk.positions[0] ?? 0, err);
    });
    this.target.ensureOpen();
    const inputs = outcomes.map((outcome, i) => (outcome.ok ? undefined : outcome.parsed ? outcome.input : chunk.lines[i]));
    this.committing.push({ chunk, bytesAt, results: handled(this.target.writeValidated(inputs, outcomes, this.opts.durability)) });
    while (this.committing.length > COMMITS_IN_FLIGHT) await this.settleOldest();
  }

  /** Waits for the oldest commit, then counts it, writes its rejects and reports progress. */
  private async settleOldest(): Promise<void> {
    const { chunk, bytesAt, results: pending } = this.committing.shift()!;
    const results = await pending;
    const counts = this.progress.counts;
    const rejected: RejectEntry[] = [];
    results.forEach((result, i) => {
      if (result.status === 'accepted') counts.accepted++;
      else if (result.status === 'duplicate') counts.duplicates++;
      else {
        counts.rejected++;
        rejected.push({ line: chunk.positions[i]!, input: chunk.lines[i]!, errors: result.errors ?? [] });
      }
      if (result.conflict === true) counts.conflicts++;
    });
    counts.linesRead += results.length;
    this.progress.bytesDone = bytesAt;
    await this.rejects?.write(rejected);
    this.progress.maybeReport();
  }

  /** After a failure: lets issued commits finish (they are in the log either way) and drops unparsed chunks. */
  private async drain(): Promise<void> {
    await Promise.allSettled(this.parsing.map((p) => p.outcomes));
    while (this.committing.length > 0) await this.settleOldest().catch(() => undefined);
  }
}

/** Marks a queued promise as handled: it is awaited in order later, and a failure must not crash the process before then. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
