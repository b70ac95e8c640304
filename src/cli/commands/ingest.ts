// `eventdb ingest <file>`: bulk-ingests an NDJSON or JSON-array file (gzip or not) with a progress display.

import type { IngestFileResult } from '../../index.js';
import { choiceOption, integerOption, onePositional, positiveIntegerOption, type Command, type CommandContext } from '../command.js';
import { count, megabytes, seconds } from '../format.js';
import { checkReadableFile } from '../input-file.js';
import { printAnswer } from '../output.js';
import { progressDisplay } from '../progress-line.js';
import { withStore } from '../store.js';

const USAGE = 'eventdb ingest <file> [--workers <n>] [--batch-size <n>] [--rejects <path>] [--format ndjson|json] [--relaxed] [--quiet]';

/** `eventdb ingest <file>` */
export const ingest: Command = {
  name: 'ingest',
  summary: 'ingest an NDJSON or JSON-array file (gzip detected), on worker threads',
  usage: `Usage: ${USAGE}

Ingests a file of records: NDJSON (one record per line) or a JSON array,
gzipped or not (told by the content, not the name). Worker threads parse and
validate; one writer commits in file order. Re-running a file is idempotent.
Rejected lines count as rejected and exit code stays 0; keep them with --rejects.

Options:
  --workers <n>      parsing threads (default 2; 0 parses on the main thread)
  --batch-size <n>   records per commit (default 5,000)
  --rejects <path>   write rejected lines as NDJSON { line, input, errors }
  --format <f>       ndjson or json (default: a file starting with [ is json)
  --relaxed          do not wait for a disk flush after each batch (one flush at the end)
  --quiet            no progress display on stderr`,
  options: {
    workers: { type: 'string' },
    'batch-size': { type: 'string' },
    rejects: { type: 'string' },
    format: { type: 'string' },
    relaxed: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
  run: runIngest,
};

async function runIngest(context: CommandContext): Promise<void> {
  const file = onePositional(context, 'the file to ingest', USAGE);
  const workers = integerOption(context.values, 'workers', 2, 0);
  const batchSize = positiveIntegerOption(context.values, 'batch-size', 5_000);
  const format = choiceOption(context.values, 'format', ['ndjson', 'json'] as const);
  const rejectsPath = context.values['rejects'] as string | undefined;
  checkReadableFile(file);
  const display = progressDisplay(process.stderr, context.values['quiet'] !== true);
  const { result, records } = await withStore(context, 'create', async (db) => {
    try {
      const result = await db.ingestFile(file, {
        workers,
        batchSize,
        rejectsPath,
        onProgress: display.onProgress,
        ...(format === undefined ? {} : { format }),
        ...(context.values['relaxed'] === true ? { durability: 'relaxed' as const } : {}),
      });
      return { result, records: db.stats().records };
    } finally {
      display.end();
    }
  });
  const answer = { file, db: context.db, ...result, recordsPerSec: rate(result), rejectsPath: rejectsPath ?? null, storeRecords: records };
  printAnswer(context, answer, toText);
}

function rate(result: IngestFileResult): number {
  return Math.round(result.lines / Math.max(result.elapsedMs / 1000, 1e-3));
}

function toText(answer: IngestFileResult & { file: string; db: string; recordsPerSec: number; rejectsPath: string | null; storeRecords: number }): string {
  const kind = `${answer.format === 'json' ? 'JSON array' : 'NDJSON'}${answer.gzip ? ', gzip' : ''}, ${megabytes(answer.bytes)}`;
  const rejectsNote =
    answer.rejected === 0
      ? ''
      : answer.rejectsPath === null
        ? '  (kept in the quarantine; --rejects <path> writes them to a file)'
        : `  -> ${answer.rejectsPath}`;
  return [
    `Ingested ${answer.file} (${kind}) into ${answer.db} in ${seconds(answer.elapsedMs)}: ${count(answer.recordsPerSec)} records/s`,
    `  records     ${count(answer.lines).padStart(11)}`,
    `  accepted    ${count(answer.accepted).padStart(11)}`,
    `  duplicates  ${count(answer.duplicates).padStart(11)}${answer.conflicts > 0 ? `  (${count(answer.conflicts)} with different content)` : ''}`,
    `  rejected    ${count(answer.rejected).padStart(11)}${rejectsNote}`,
    `The store now holds ${count(answer.storeRecords)} records.`,
  ].join('\n');
}
