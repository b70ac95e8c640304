// The consolidation's worker (a piscina task): opens the writer's LMDB environment (lmdb-js shares it between the
// threads of a process), moves closed generations into states and merges index and dedupe runs until nothing is left or the
// writer asks it to stop.

import '../storage/msgpack-strings.js';
import { appendFileSync } from 'node:fs';
import { isNativeAccelerationEnabled } from 'msgpackr';
import { positionalPartials } from '../projections/partial-codec.js';
import { mergePartialInto } from '../projections/partials.js';
import { Storage } from '../storage/storage.js';
import {
  BUSY_BACKLOG,
  BUSY_DEDUPE_RUNS,
  BUSY_RUNS,
  Claim,
  Flag,
  IDLE_MS,
  consolidationBacklog,
  consolidationStep,
  exitGate,
  mergeDedupeStep,
  type ConsolidationTask,
} from './consolidation.js';

/**
 * Fault injection for the tests: with EVENTDB_TEST_WORKER_STARTED_FILE set, the thread's start (its modules loading)
 * takes EVENTDB_TEST_WORKER_START_MS (0 by default), then adds a line to that file; a close or an exit that ended the
 * thread before it had started leaves none. The line also says when msgpackr decodes strings natively here, which no
 * thread of eventdb's may (see `workerEnv`).
 */
const startedFile = process.env['EVENTDB_TEST_WORKER_STARTED_FILE'];
if (startedFile !== undefined) {
  const startMs = Number(process.env['EVENTDB_TEST_WORKER_START_MS'] ?? 0);
  for (const end = Date.now() + startMs; Date.now() < end;);
  appendFileSync(startedFile, isNativeAccelerationEnabled ? 'started, msgpack strings decoded natively\n' : 'started\n');
}

/** Fault injection for the tests: each write transaction stays open this long (busy, as a large merge would). */
const holdMs = Number(process.env['EVENTDB_TEST_WORKER_HOLDS_TXN_MS'] ?? 0);

function holdEachTransaction(storage: Storage, ms: number): void {
  const transact = storage.transact.bind(storage);
  storage.transact = (fn, durable) =>
    transact(() => {
      const out = fn();
      for (const end = Date.now() + ms; Date.now() < end;);
      return out;
    }, durable);
}

/** Piscina calls the default export once per task. */
export default async function consolidate(task: ConsolidationTask): Promise<void> {
  const { flags } = task;
  try {
    await run(task);
  } finally {
    // Out of lmdb-js: a process exit may end the thread now (see `Consolidator.onExit`).
    Atomics.store(flags, Flag.inTask, 0);
    Atomics.notify(flags, Flag.inTask);
  }
}

async function run(task: ConsolidationTask): Promise<void> {
  const { flags } = task;
  // A stop that came first cancelled this task: it opens nothing (see `Consolidator.pause`).
  if (Atomics.compareExchange(flags, Flag.claim, Claim.queued, Claim.started) !== Claim.queued) return;
  const storage = new Storage({
    path: task.path,
    mapSizeBytes: task.mapSizeBytes,
    noSync: task.noSync,
    partialCodec: positionalPartials,
    // A value of several deltas (format 16) read whole merges them: the chunks take each delta apart, but any other
    // read of a partial in this handle must not find one it cannot merge.
    mergePartial: (kind, stored, delta) => {
      mergePartialInto(kind, stored, delta, task.computed);
      return stored;
    },
    dedupeMergeEntries: task.dedupeMergeEntries,
    compression: task.compression,
  });
  storage.gate = exitGate(flags);
  if (holdMs > 0) holdEachTransaction(storage, holdMs);
  try {
    for (let step = 0; Atomics.load(flags, Flag.stop) === 0; step++) {
      const what = mayWrite(storage, flags);
      if (what === 'dedupe') mergeDedupeStep(storage);
      else if (what === 'all' && !consolidationStep(storage, task.computed, step % 2 === 1)) return;
    }
  } finally {
    await storage.close();
  }
}

/**
 * What to write now: everything due when asked to hurry, when the writer has let `BUSY_BACKLOG` closed generations
 * or `BUSY_RUNS` index runs pile up, or when it was idle for `IDLE_MS` (no call in its transaction, none settled);
 * only a dedupe merge when the writer is busy but `BUSY_DEDUPE_RUNS` dedupe runs have piled up with one due.
 * Otherwise it waits `IDLE_MS` first (woken at once by a stop) and says nothing.
 */
function mayWrite(storage: Storage, flags: Int32Array): 'all' | 'dedupe' | undefined {
  if (Atomics.load(flags, Flag.hurry) === 1) return 'all';
  storage.refreshSnapshot();
  if (consolidationBacklog(storage) >= BUSY_BACKLOG || storage.index.runCount >= BUSY_RUNS) return 'all';
  if (storage.dedupeRuns.runCount >= BUSY_DEDUPE_RUNS && storage.dedupeRuns.mergeDue()) return 'dedupe';
  const calls = Atomics.load(flags, Flag.calls);
  Atomics.wait(flags, Flag.stop, 0, IDLE_MS);
  const idle = Atomics.load(flags, Flag.busy) === 0 && Atomics.load(flags, Flag.calls) === calls && Atomics.load(flags, Flag.stop) === 0;
  return idle ? 'all' : undefined;
}
