// `eventdb changes`: the log in order from a position, as NDJSON with --json; --follow keeps waiting for commits.

import type { Change } from '../../index.js';
import { positiveIntegerOption, UsageError, type Command, type CommandContext } from '../command.js';
import { withStore } from '../store.js';
import { stopSignal, writeOut } from '../stream-out.js';

/** `eventdb changes [--after P] [--follow] [--limit N]` */
export const changes: Command = {
  name: 'changes',
  summary: 'print the log in order from a position (NDJSON with --json); --follow waits for new commits',
  usage: `Usage: eventdb changes [--after <position>] [--follow] [--limit <n>]

Prints db.changes(): every record of the log in log order, each with its
position. With --json, one JSON object per line (NDJSON):
  {"position":"42","record":{...as getEvent returns it...}}
Give a printed position back as --after to resume just past it. Opens the
store read-only, so it runs beside a live writer.

Options:
  --after <position>  start just past this position (default: the log's start)
  --follow            keep waiting for new commits (stop with Ctrl-C or SIGTERM)
  --limit <n>         print at most n records`,
  options: {
    after: { type: 'string' },
    follow: { type: 'boolean', default: false },
    limit: { type: 'string' },
  },
  run: async (context: CommandContext) => {
    if (context.positionals.length > 0) throw new UsageError(`changes takes options, not "${context.positionals[0]}"`);
    const after = context.values['after'] as string | undefined;
    if (after !== undefined && !/^\d+$/.test(after)) throw new UsageError(`--after must be a position as changes prints it, not "${after}"`);
    const limit = context.values['limit'] === undefined ? undefined : positiveIntegerOption(context.values, 'limit', 1);
    const stop = stopSignal();
    try {
      await withStore(context, 'read', async (db) => {
        const feed = db.changes({ after, live: context.values['follow'] === true, limit, signal: stop.signal });
        for await (const change of feed) {
          if (!(await writeOut(context.json ? `${JSON.stringify(change)}\n` : `${textLine(change)}\n`))) break;
        }
      });
    } finally {
      stop.dispose();
    }
  },
};

function textLine({ position, record }: Change): string {
  const who = record.userId ?? record.profileId ?? record.productId ?? '-';
  return [position, record.timestamp, record.kind, record.eventName ?? '-', who, record.eventId].join('  ');
}
