// The consolidation's worker (a piscina task): opens the writer's LMDB environment (lmdb-js shares it between the
// threads of a process) and moves closed generations into states until none is left or the writer asks it to stop.

import { positionalPartials } from '../projections/partial-codec.js';
import { Storage } from '../storage/storage.js';
import { consolidateStep, type ConsolidationTask } from './consolidation.js';

/** Piscina calls the default export once per task. */
export default async function consolidate(task: ConsolidationTask): Promise<void> {
  const storage = new Storage({ path: task.path, mapSizeBytes: task.mapSizeBytes, noSync: task.noSync, partialCodec: positionalPartials });
  try {
    while (Atomics.load(task.stop, 0) === 0 && consolidateStep(storage, task.computed));
  } finally {
    await storage.close();
  }
}
