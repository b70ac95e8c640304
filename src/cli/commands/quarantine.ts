// `eventdb quarantine list|count|resubmit|purge`: the rejected records kept for inspection and re-submission.

import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { CommandFailure, EXIT, UsageError, type Command, type CommandContext } from '../command.js';
import { count } from '../format.js';
import { printAnswer } from '../output.js';
import { withStore } from '../store.js';

const USAGE = `eventdb quarantine list [--limit n] [--after id]
       eventdb quarantine count
       eventdb quarantine resubmit <id> [--fixed record.json]
       eventdb quarantine purge (<id>… | --all)`;

/** `eventdb quarantine …` */
export const quarantine: Command = {
  name: 'quarantine',
  summary: 'quarantine list|count|resubmit|purge: inspect, fix and re-send, or drop rejected records',
  usage: `Usage: ${USAGE}

Rejected records are kept in the quarantine with their errors (db.quarantine); the same input
rejected again with the same errors is kept once, with a count.

  list       rejected records in rejection order, with their errors and how many times each was
             rejected (--limit, default 20; --after an id)
  count      how many are kept
  resubmit   ingests record <id> again, as stored or as the JSON object in --fixed; it leaves the
             quarantine in the same transaction (rejected again, it comes back under a new id with
             its new errors)
  purge      removes the given ids, or every record with --all`,
  options: { limit: { type: 'string' }, after: { type: 'string' }, fixed: { type: 'string' }, all: { type: 'boolean' } },
  run: async (context: CommandContext) => {
    const [action, ...args] = context.positionals;
    switch (action) {
      case 'list':
        return list(context, args);
      case 'count': {
        noArgs('count', args);
        const total = await withStore(context, 'read', (db) => db.quarantine.count());
        printAnswer(context, { quarantined: total }, (a) => `${count(a.quarantined)} records in the quarantine`);
        return EXIT.ok;
      }
      case 'resubmit':
        return resubmit(context, args);
      case 'purge':
        return purge(context, args);
      default:
        throw new UsageError(action === undefined ? `quarantine needs a subcommand:\n${USAGE}` : `unknown quarantine subcommand "${action}":\n${USAGE}`);
    }
  },
};

async function list(context: CommandContext, args: string[]): Promise<number> {
  noArgs('list', args);
  const limit = positiveInteger(context.values['limit'], 'limit') ?? 20;
  const afterId = positiveInteger(context.values['after'], 'after') ?? 0;
  const records = await withStore(context, 'read', (db) => db.quarantine.list({ limit, afterId }));
  printAnswer(context, { records }, ({ records: rs }) =>
    rs.length === 0
      ? 'The quarantine is empty.'
      : rs
          .map((r) => {
            const issues = r.errors.map((e) => `    ${e.code} at "${e.path}": ${e.message}`).join('\n');
            const repeats = r.count > 1 ? ` (${count(r.count)} times, last ${new Date(r.lastRejectedAt).toISOString()})` : '';
            return `#${r.id} rejected ${new Date(r.rejectedAt).toISOString()}${repeats}: ${JSON.stringify(r.input).slice(0, 200)}\n${issues}`;
          })
          .join('\n'),
  );
  return EXIT.ok;
}

async function resubmit(context: CommandContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError(`quarantine resubmit takes one id:\n${USAGE}`);
  const id = positiveInteger(args[0], 'id')!;
  const fixedPath = context.values['fixed'];
  let fixed: unknown;
  if (typeof fixedPath === 'string') {
    try {
      fixed = JSON.parse(readFileSync(fixedPath, 'utf8'));
    } catch (err) {
      throw new CommandFailure(`cannot read the fixed record from ${fixedPath}: ${(err as Error).message}`);
    }
  }
  const result = await withStore(context, 'write', async (db) => {
    if (db.quarantine.get(id) === undefined) throw new CommandFailure(`no quarantined record has id ${id}`, EXIT.notFound);
    return db.quarantine.resubmit(id, fixed);
  });
  printAnswer(context, { id, ...result }, (r) =>
    r.status === 'rejected'
      ? `#${id} was rejected again (back in the quarantine):\n${(r.errors ?? []).map((e) => `    ${e.code} at "${e.path}": ${e.message}`).join('\n')}`
      : `#${id} ${r.status === 'accepted' ? `was accepted as seq ${r.seq}` : `is a duplicate of seq ${r.seq}`}; it left the quarantine`,
  );
  return result.status === 'rejected' ? EXIT.failure : EXIT.ok;
}

async function purge(context: CommandContext, args: string[]): Promise<number> {
  const all = context.values['all'] === true;
  if (all === args.length > 0) throw new UsageError(`quarantine purge takes ids or --all, not both or neither:\n${USAGE}`);
  const ids = args.map((arg) => positiveInteger(arg, 'id')!);
  const removed = await withStore(context, 'write', (db) => db.quarantine.purge(all ? undefined : ids));
  printAnswer(context, { removed }, (a) => `Removed ${count(a.removed)} records from the quarantine`);
  return EXIT.ok;
}

function noArgs(name: string, args: string[]): void {
  if (args.length > 0) throw new UsageError(`quarantine ${name} takes no arguments, got "${args[0]}"`);
}

function positiveInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a whole number, got "${typeof value === 'string' ? value : inspect(value)}"`);
  return n;
}
