// The work a bulk-ingest worker does on one chunk: JSON.parse and validate each line. Pure, no LMDB.

import { issue, type Issue } from '../../schema/issues.js';
import type { NormalizedRecord } from '../../schema/record.js';
import { validateRecord, type ValidationContext } from '../../schema/validate.js';

/** One chunk of raw lines (or JSON-array elements as text), in file order. */
export interface ChunkTask {
  lines: string[];
}

/**
 * What became of one line. Accepted lines carry only the normalised record;
 * rejected ones carry the parsed input too (`parsed: false` when the line was
 * not JSON, and the raw text is the input).
 */
export type LineOutcome =
  | { ok: true; record: NormalizedRecord; warnings: Issue[] }
  | { ok: false; errors: Issue[]; parsed: true; input: unknown }
  | { ok: false; errors: Issue[]; parsed: false };

/** Parses and validates every line of a chunk; never throws. */
export function parseChunk(task: ChunkTask, ctx: ValidationContext): LineOutcome[] {
  const outcomes = new Array<LineOutcome>(task.lines.length);
  for (let i = 0; i < task.lines.length; i++) outcomes[i] = parseLine(task.lines[i]!, ctx);
  return outcomes;
}

function parseLine(line: string, ctx: ValidationContext): LineOutcome {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (err) {
    return { ok: false, parsed: false, errors: [issue('INVALID_JSON', '', `not valid JSON: ${(err as Error).message}`)] };
  }
  const validation = validateRecord(input, ctx);
  if (validation.ok) return validation;
  return { ok: false, parsed: true, input, errors: validation.errors };
}
