// `eventdb events`: a key's events in time order, with a time range, a limit and a direction.

import { isEventDBError, type EventsQuery, type StoredRecord } from '../../index.js';
import { positiveIntegerOption, UsageError, type Command, type CommandContext, type OptionValues } from '../command.js';
import { table } from '../format.js';
import { printAnswer } from '../output.js';
import { withStore } from '../store.js';

const DEFAULT_LIMIT = 100;
/** Command-line option → query field. */
const KEYS = { profile: 'profileId', user: 'userId', session: 'sessionId', account: 'accountId', name: 'eventName', product: 'productId' } as const;

/** `eventdb events --profile <id> …` */
export const events: Command = {
  name: 'events',
  summary: 'list the events of a profile, user, session, account or event name, in time order',
  usage: `Usage: eventdb events (--profile <id> | --user <id> | --session <id> | --account <id> | --name <eventName> | --product <id>)...
                      [--from <time>] [--to <time>] [--limit <n>] [--reverse]

Prints events in event-time order (db.events(query)). --profile and --user read
the unified profile. With several keys, events must match them all.

Options:
  --from, --to <time>  inclusive bounds: ISO-8601 with a zone, or epoch ms
  --limit <n>          at most n events (default ${DEFAULT_LIMIT})
  --reverse            newest first`,
  options: {
    profile: { type: 'string' },
    user: { type: 'string' },
    session: { type: 'string' },
    account: { type: 'string' },
    name: { type: 'string' },
    product: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    reverse: { type: 'boolean', default: false },
  },
  run: async (context: CommandContext) => {
    if (context.positionals.length > 0) throw new UsageError(`events takes options, not "${context.positionals[0]}"`);
    const query = queryOf(context.values);
    const found = await withStore(context, 'read', (db) => {
      try {
        return db.events(query).toArray();
      } catch (err) {
        if (isEventDBError(err, 'INVALID_QUERY')) throw new UsageError(err.message.replace(/^query\./, '--'));
        throw err;
      }
    });
    printAnswer(context, { count: found.length, events: found }, (answer) => toText(answer.events));
  },
};

function queryOf(values: OptionValues): EventsQuery {
  const query: EventsQuery = { limit: positiveIntegerOption(values, 'limit', DEFAULT_LIMIT), reverse: values['reverse'] === true };
  for (const [option, field] of Object.entries(KEYS)) {
    const value = values[option];
    if (typeof value === 'string') query[field] = value;
  }
  if (!Object.values(KEYS).some((field) => query[field] !== undefined)) {
    throw new UsageError('events needs at least one of --profile, --user, --session, --account, --name, --product');
  }
  for (const bound of ['from', 'to'] as const) {
    const value = values[bound];
    if (typeof value === 'string') query[bound] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return query;
}

function toText(found: readonly StoredRecord[]): string {
  if (found.length === 0) return 'no events';
  const rows = found.map((e) => [String(e.seq), e.timestamp, e.eventName ?? e.kind, e.userId ?? e.profileId ?? '', e.sessionId ?? '', e.eventId]);
  return `${table(['seq', 'timestamp', 'eventName', 'user/profile', 'sessionId', 'eventId'], rows)}\n(${found.length} events)`;
}
