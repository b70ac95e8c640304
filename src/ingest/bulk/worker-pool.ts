// Starts the piscina pool of bulk-ingest workers, from compiled JavaScript or, under tsx and vitest, from TypeScript sources.

import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { parseChunk, type ChunkTask, type LineOutcome } from './parse-chunk.js';
import type { Limits } from '../../schema/limits.js';
import type { BulkWorkerData } from './worker.js';

/** Runs chunks on worker threads; `close()` ends them. */
export interface ChunkPool {
  run(task: ChunkTask): Promise<LineOutcome[]>;
  close(): Promise<void>;
}

/**
 * The worker file `name` beside the module at `moduleUrl`: `worker.js` in
 * `dist/`, `worker.ts` when that module itself runs from sources. A TypeScript worker needs tsx in
 * the worker thread: it inherits `--import tsx` from a process started with
 * it, and gets it explicitly otherwise (vitest transforms sources in-process).
 * `execArgv` stays undefined whenever possible, because workers inherit the
 * process's flags then, while an explicit list must not hold per-process
 * flags such as `--max-old-space-size`.
 */
export function workerScript(moduleUrl: string = import.meta.url, name = 'worker'): { filename: string; execArgv: string[] | undefined } {
  const fromSources = moduleUrl.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./${name}${fromSources ? '.ts' : '.js'}`, moduleUrl));
  const execArgv = fromSources && !hasTsx(process.execArgv) ? ['--import', 'tsx'] : undefined;
  return { filename, execArgv };
}

/**
 * The environment of every thread eventdb starts: the process's, with msgpackr's native string extraction off.
 * msgpackr-extract (3.0.7) rewrites a table shared by the whole process each time a thread loads it, zeroing it
 * first; a thread decoding msgpack meanwhile can read a zeroed entry, misparse the message, and get wrong strings
 * back without an error (docs/guarantees.md, "msgpackr-extract and threads"). eventdb turns the addon off for the
 * process when it loads (storage/msgpack-strings.ts) unless the application chose otherwise; its own threads go
 * without it even then, so none of them disturbs a decode on the application's threads.
 */
export function workerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true' };
}

function hasTsx(execArgv: readonly string[]): boolean {
  return execArgv.some((arg, i) => (arg === '--import' || arg === '--loader') && /(^|\/)tsx\b/.test(execArgv[i + 1] ?? ''));
}

/** A pool of exactly `workers` threads, started eagerly. */
export function startPool(workers: number, placeholderIds: ReadonlySet<string>, limits: Limits): ChunkPool {
  const { filename, execArgv } = workerScript();
  const workerData: BulkWorkerData = { placeholderIds: [...placeholderIds], limits };
  const pool = new Piscina<ChunkTask, LineOutcome[]>({
    filename,
    ...(execArgv === undefined ? {} : { execArgv }),
    workerData,
    env: workerEnv(),
    minThreads: workers,
    maxThreads: workers,
    // The caller bounds the chunks in flight; a chunk is a big task, so no spinning on Atomics between them.
    atomics: 'disabled',
    idleTimeout: 60_000,
  });
  return {
    run: (task) => pool.run(task),
    close: () => pool.destroy(),
  };
}

/** `workers: 0`: the same parsing on the calling thread, one chunk at a time. */
export function inlinePool(placeholderIds: ReadonlySet<string>, limits: Limits): ChunkPool {
  const ctx = { placeholders: placeholderIds, limits };
  return {
    run: async (task) => parseChunk(task, ctx),
    close: async () => undefined,
  };
}
