// The consolidation: closed generations' partial states merged into one state per key, in the background, so a
// read takes one state and the partials of the generations not yet merged (the last one or two) per key.

import { Piscina } from 'piscina';
import type { CompiledComputed } from '../projections/computed.js';
import { mergedPartial } from '../projections/partials.js';
import type { ConsolidatedPartial } from '../storage/derived-store.js';
import type { Storage } from '../storage/storage.js';
import { workerScript } from './bulk/worker-pool.js';

/** Partials moved per transaction: about 10 ms of the write lock, which the writer waits for when it wants it. */
export const CONSOLIDATION_CHUNK = 2_000;

/** Whether a closed generation is waiting to be consolidated, as the current snapshot says. */
function hasClosedGeneration(storage: Storage): boolean {
  return storage.consolidatedGenerations() < storage.generationOf(storage.checkpointPosition() + 1);
}

/**
 * Moves the next chunk of the oldest closed generation not yet consolidated into `states` and returns true, or
 * returns false when every closed generation is consolidated. A generation is closed once a checkpoint covers its
 * last record: the writer never writes its partials again (it folds records into their own generation, and
 * replays only what follows the checkpoint). The merge is computed from the committed snapshot, outside the
 * write lock; the transaction then writes each key's merged state and removes the partial it took in, both or
 * neither, so at every commit each partial is counted exactly once: in its generation or in the state. The last
 * chunk of a generation (an empty one) raises `meta.consolidated`, and from then on reads skip the generation;
 * the first chunk ever marks it started, and from then on reads take each key's state first.
 * Only the consolidation writes states and closed partials; a repair stops it first (see `Consolidator.pause`).
 */
export function consolidateStep(storage: Storage, computed: readonly CompiledComputed[], chunk: number = CONSOLIDATION_CHUNK): boolean {
  storage.refreshSnapshot();
  if (!hasClosedGeneration(storage)) return false;
  const gen = storage.consolidatedGenerations();
  const partials = storage.derived.closedPartials(gen, chunk);
  const moved: ConsolidatedPartial[] = partials.map(({ kind, id, value }) => ({
    gen,
    kind,
    id,
    state: storage.derived.encodeState(kind, mergedPartial(kind, storage.derived.getState(kind, id), value, computed)),
  }));
  // Not flushed on its own: a crash can lose it whole (the partials are then still there), and the writer's next
  // durable commit flushes it.
  storage.transact(() => {
    const progress = storage.consolidation();
    if (progress.generations !== gen) return;
    if (moved.length === 0) storage.putConsolidation(gen + 1, true);
    else {
      if (!progress.started) storage.putConsolidation(gen, true);
      storage.derived.moveToStates(moved);
    }
  }, false);
  return true;
}

/** Where the consolidation runs: a worker thread (the default), the calling thread after each commit (tests), or nowhere. */
export type ConsolidationMode = 'worker' | 'inline' | 'off';

/** What the consolidation worker is given: where the store is and how to merge, and a flag that asks it to stop. */
export interface ConsolidationTask {
  path: string;
  mapSizeBytes: number;
  noSync: boolean;
  computed: readonly CompiledComputed[];
  /** Set to 1 by the writer: the worker stops after the chunk in progress. */
  stop: Int32Array;
}

/**
 * Runs the consolidation of one writer. `kick()` after a checkpoint commits (and at open) starts it when it is not
 * running; `pause()` waits until no chunk is in progress and none will start until `resume()`; `close()` ends it.
 * In `worker` mode a worker thread opens the same LMDB environment (lmdb-js shares it between the threads of a
 * process) and moves chunks until nothing closed is left, between the writer's transactions; the thread is
 * piscina's, which loads TypeScript sources under tsx and vitest as the bulk ingest's workers do. `inline` runs on
 * the calling thread, a random number of small chunks per kick (the property tests consolidate at random points).
 */
export class Consolidator {
  private pool: Piscina<ConsolidationTask, void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private paused = false;
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  /** The last failure of the worker (reads stay correct without consolidation; tests look at it). */
  failure: string | undefined;

  constructor(
    private readonly mode: ConsolidationMode,
    private readonly storage: Storage,
    private readonly store: Omit<ConsolidationTask, 'stop'>,
    private readonly random: () => number = Math.random,
  ) {}

  kick(): void {
    if (this.paused || this.mode === 'off') return;
    if (this.mode === 'inline') {
      const steps = Math.floor(this.random() * 4);
      for (let i = 0; i < steps; i++) if (!consolidateStep(this.storage, this.store.computed, 1 + Math.floor(this.random() * 8))) break;
      return;
    }
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    // The thread starts only when a generation is waiting: most stores never close one (2^18 records each).
    if (!hasClosedGeneration(this.storage)) return;
    this.running = this.runWorker();
  }

  /** Resolves once nothing closed is left to consolidate (benchmarks wait for it before timing reads). */
  async idle(): Promise<void> {
    if (this.mode === 'inline') while (consolidateStep(this.storage, this.store.computed));
    this.kick();
    while (this.running !== undefined) await this.running;
  }

  /** Waits for the chunk in progress; none starts until `resume()` (a repair rewrites what the worker writes). */
  async pause(): Promise<void> {
    this.paused = true;
    Atomics.store(this.stop, 0, 1);
    while (this.running !== undefined) await this.running;
    Atomics.store(this.stop, 0, 0);
  }

  resume(): void {
    this.paused = false;
    this.kick();
  }

  async close(): Promise<void> {
    await this.pause();
    await this.pool?.destroy();
    this.pool = undefined;
  }

  /** Runs worker tasks until one ends with no kick received meanwhile. */
  private async runWorker(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.ensurePool().run({ ...this.store, stop: this.stop });
      } while (this.again && !this.paused);
    } catch (err) {
      this.failure = (err as Error).message;
    } finally {
      this.running = undefined;
    }
  }

  private ensurePool(): Piscina<ConsolidationTask, void> {
    if (this.pool !== undefined) return this.pool;
    const { filename, execArgv } = workerScript(import.meta.url, 'consolidation-worker');
    this.pool = new Piscina<ConsolidationTask, void>({
      filename,
      ...(execArgv === undefined ? {} : { execArgv }),
      minThreads: 1,
      maxThreads: 1,
      atomics: 'disabled',
      idleTimeout: 60_000,
    });
    return this.pool;
  }
}
