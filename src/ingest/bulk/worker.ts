// The piscina worker of bulk ingest: parses and validates chunks of lines; never opens LMDB.

import { workerData } from 'node:worker_threads';
import type { Limits } from '../../schema/limits.js';
import type { ValidationContext } from '../../schema/validate.js';
import { parseChunk, type ChunkTask, type LineOutcome } from './parse-chunk.js';

/** What the pool hands every worker at start. */
export interface BulkWorkerData {
  placeholderIds: string[];
  limits: Limits;
}

const data = workerData as BulkWorkerData;
const ctx: ValidationContext = { placeholders: new Set(data.placeholderIds), limits: data.limits };

/** Piscina calls the default export once per task. */
export default function parseTask(task: ChunkTask): LineOutcome[] {
  return parseChunk(task, ctx);
}
