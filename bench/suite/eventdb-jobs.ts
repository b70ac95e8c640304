// eventdb's side of each workload, shaped like the baselines' jobs so the two can be timed and compared alike.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EventDB, type EventDBOptions } from '../../src/index.js';
import { JobTimer, type IngestJob, type JobOutcome } from './baselines.js';
import type { BenchEvent } from './workloads.js';

export interface EventdbIngestJob extends IngestJob {
  projections: boolean;
  /** `ingestBatch` calls issued before the oldest is awaited (default 2: the next batch is prepared while one commits). */
  inFlight?: number;
  /** The store's `compression` option (default: the store's default). */
  compression?: EventDBOptions['compression'];
}

/** Opens a store at `dir` as the benchmark jobs do (`checkpointAtClose` false: the open-after-crash timing's repeats). */
export function openStore(
  dir: string,
  options: { durable?: boolean; projections?: boolean; checkpointAtClose?: boolean; compression?: EventDBOptions['compression'] } = {},
): Promise<EventDB> {
  return EventDB.open(
    {
      path: dir,
      durability: options.durable === false ? 'relaxed' : 'durable',
      ...(options.compression === undefined ? {} : { compression: options.compression }),
    },
    { projections: options.projections ?? true, checkpointAtClose: options.checkpointAtClose },
  );
}

/** `ingestBatch` of every event, `inFlight` batches at a time; the store's event count is what it stored. */
export async function eventdbIngest(events: Iterable<BenchEvent[]>, dir: string, job: EventdbIngestJob): Promise<JobOutcome> {
  const db = await openStore(dir, job);
  const inFlight = job.inFlight ?? 2;
  const timer = new JobTimer(job.sliceSize);
  const pending: Promise<unknown>[] = [];
  let done = 0;
  for (const chunk of timer.chunks(events)) {
    for (let i = 0; i < chunk.length; i += job.batchSize) {
      const batch = chunk.slice(i, i + job.batchSize);
      pending.push(db.ingestBatch(batch));
      if (pending.length >= inFlight) await pending.shift();
      done += batch.length;
      timer.tick(done);
    }
  }
  await Promise.all(pending);
  const stored = db.stats().events;
  await db.close();
  return timer.outcome(stored);
}

/** `callers` concurrent callers, each awaiting one `ingest()` at a time, as the handlers of a web server would. */
export async function eventdbConcurrent(events: readonly BenchEvent[], dir: string, options: { callers: number; projections: boolean }): Promise<JobOutcome> {
  const db = await openStore(dir, options);
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < events.length) await db.ingest(events[next++]);
  };
  await Promise.all(Array.from({ length: options.callers }, caller));
  const stored = db.stats().events;
  await db.close();
  return { stored };
}

/** `ingestFile` of an NDJSON file with `workers` worker threads (0: parsed on the calling thread). */
export async function eventdbIngestFile(file: string, dir: string, workers: number): Promise<JobOutcome> {
  const db = await openStore(dir);
  await db.ingestFile(file, { workers });
  const stored = db.stats().events;
  await db.close();
  return { stored };
}

/** Bytes of the files in a store directory (LMDB's data and lock files, SQLite's database and WAL). */
export function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).size;
  return bytes;
}
