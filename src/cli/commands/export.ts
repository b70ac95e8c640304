// `eventdb export`: the log to Parquet or NDJSON files with a manifest, or into ClickHouse; exactly once across re-runs.

import type { ExportOptions, ExportProgress, ExportResult } from '../../index.js';
import { choiceOption, positiveIntegerOption, UsageError, type Command, type CommandContext, type OptionValues } from '../command.js';
import { count, seconds } from '../format.js';
import { printAnswer } from '../output.js';
import { withStore } from '../store.js';
import { stopSignal } from '../stream-out.js';

const USAGE = `eventdb export --format parquet|ndjson --out <dir> [--after <position>] [--row-group-rows <n>] [--max-file-mb <n>]
       eventdb export --to clickhouse --url <url> [--table <name>] [--database <name>] [--user <u>] [--password <p>] [--block-rows <n>] [--follow]`;

/** `eventdb export …` */
export const exportCommand: Command = {
  name: 'export',
  summary: 'export the log to Parquet or NDJSON files, or into ClickHouse, exactly once across re-runs',
  usage: `Usage: ${USAGE}

Writes every record of the log (events, product payloads, attribute updates,
feed items, removals) in log order. Opens the store read-only, so it runs
beside a live writer, and exports what the log holds when it starts.

Files: one file per ~--max-file-mb, each named events-<first>-<last> by
position, and <dir>/manifest.json naming each file's first and last position.
A re-run continues after the manifest's last position (never writes a record
twice); files a killed run left unnamed in the manifest are removed.

ClickHouse: creates the table when missing (MergeTree, by month, sorted by
profileId, timestamp), reads the last position it holds and inserts the rest
in blocks of --block-rows rows, each one INSERT (written whole or not at all).

Options:
  --format <f>          parquet or ndjson
  --out <dir>           the export directory (created when missing)
  --after <position>    start just past this position (a fresh directory or table)
  --row-group-rows <n>  Parquet rows per row group (default 100,000)
  --max-file-mb <n>     start a new file past this size (default 256)
  --to clickhouse       export into ClickHouse over HTTP
  --url <url>           its HTTP interface, e.g. http://127.0.0.1:8123
  --table <name>        default events
  --database <name>     default default
  --user, --password    credentials (default user default, no password)
  --block-rows <n>      rows per INSERT (default 100,000; at most 1,000,000)
  --follow              keep following the log: insert new records every second,
                        until Ctrl-C or SIGTERM (ClickHouse only)
  --quiet               no progress display on stderr`,
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    after: { type: 'string' },
    'row-group-rows': { type: 'string' },
    'max-file-mb': { type: 'string' },
    to: { type: 'string' },
    url: { type: 'string' },
    table: { type: 'string' },
    database: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    'block-rows': { type: 'string' },
    follow: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
  run: async (context: CommandContext) => {
    if (context.positionals.length > 0) throw new UsageError(`export takes options, not "${context.positionals[0]}"`);
    const stop = stopSignal();
    const quiet = context.values['quiet'] === true;
    const options: ExportOptions = { ...optionsOf(context.values), signal: stop.signal, onProgress: (p: ExportProgress) => progress(p, quiet) };
    try {
      const result = await withStore(context, 'read', (db) => db.exportTo(options));
      printAnswer(context, result, toText);
    } finally {
      stop.dispose();
    }
  },
};

function optionsOf(values: OptionValues): ExportOptions {
  const string = (name: string): string | undefined => values[name] as string | undefined;
  const after = string('after');
  if (after !== undefined && !/^\d+$/.test(after)) throw new UsageError(`--after must be a position as changes prints it, not "${after}"`);
  const to = choiceOption(values, 'to', ['clickhouse'] as const);
  if (to === 'clickhouse') {
    const url = string('url');
    if (url === undefined) throw new UsageError('export --to clickhouse needs --url <url>');
    if (string('format') !== undefined || string('out') !== undefined) throw new UsageError('--format and --out are for file exports, not --to clickhouse');
    return {
      to,
      url,
      ...opt('table', string('table')),
      ...opt('database', string('database')),
      ...opt('username', string('user')),
      ...opt('password', string('password')),
      ...opt('after', after),
      ...(values['block-rows'] === undefined ? {} : { blockRows: positiveIntegerOption(values, 'block-rows', 1) }),
      ...(values['follow'] === true ? { follow: true } : {}),
    };
  }
  if (values['follow'] === true) throw new UsageError('--follow is for --to clickhouse; re-run a file export to continue it');
  const format = choiceOption(values, 'format', ['parquet', 'ndjson'] as const);
  const out = string('out');
  if (format === undefined || out === undefined) throw new UsageError(`export needs --format and --out, or --to clickhouse --url: ${USAGE}`);
  return {
    format,
    out,
    ...opt('after', after),
    ...(values['row-group-rows'] === undefined ? {} : { rowGroupRows: positiveIntegerOption(values, 'row-group-rows', 1) }),
    ...(values['max-file-mb'] === undefined ? {} : { maxFileBytes: positiveIntegerOption(values, 'max-file-mb', 1) * 1024 * 1024 }),
  };
}

function opt<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

function progress(p: ExportProgress, quiet: boolean): void {
  if (quiet || p.done) return;
  process.stderr.write(`export  ${count(p.exported)} records  ${count(p.ratePerSec)}/s  position ${p.position ?? '-'}\n`);
}

function toText(result: ExportResult): string {
  const lines = [
    `Exported ${count(result.exported)} records in ${seconds(result.elapsedMs)} (${count(result.ratePerSec)}/s), after position ${result.resumedAfter}.`,
    `The target now holds the log up to position ${result.lastPosition}.`,
  ];
  if (result.files !== undefined && result.files.length > 0) lines.push(`Files: ${result.files.join(', ')}`);
  return lines.join('\n');
}
