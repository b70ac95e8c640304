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

/** Fault injection for the tests: a worker that meets a line containing this text dies, as a crashed worker would. */
const dieOn = process.env['EVENTDB_TEST_WORKER_DIES_ON'];

/** Piscina calls the default export once per task. */
export default function parseTask(task: ChunkTask): LineOutcome[] {
  if (dieOn !== undefined && dieOn !== '' && task.lines.some((line) => line.includes(dieOn))) process.exit(70);
  return parseChunk(task, ctx);
}
