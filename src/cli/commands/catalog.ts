// `eventdb catalog import <feed>`: imports a JSON or XML product feed through db.catalog.importFeed.

import { extname } from 'node:path';
import type { EventDB } from '../../index.js';
import { choiceOption, CommandFailure, EXIT, UsageError, type Command, type CommandContext } from '../command.js';
import { count } from '../format.js';
import { checkReadableFile } from '../input-file.js';
import { printAnswer } from '../output.js';
import { withStore } from '../store.js';

const USAGE = 'eventdb catalog import <feed> [--format json|xml] [--mode upsert|replace]';

/** What `importFeed` answers (SPEC section 8). */
interface ImportResult {
  imported: number;
  /** Items identical to the stored entry (when the implementation reports it). */
  unchanged?: number;
  removed: number;
  rejected: { index: number; id?: string; errors: { code: string; path: string; message: string }[] }[];
  /** Set when the import stopped early (a malformed feed, a refused mass removal); what came before stays. */
  error?: { code: string; message: string };
}

type ImportFeed = (source: string, options: { format: 'json' | 'xml'; mode: 'upsert' | 'replace' }) => Promise<ImportResult>;

/** `eventdb catalog import <feed>` */
export const catalog: Command = {
  name: 'catalog',
  summary: 'catalog import <feed>: import a JSON or XML product feed',
  usage: `Usage: ${USAGE}

Imports a product feed (db.catalog.importFeed), streamed in bounded memory.

Options:
  --format <f>   json or xml (default: from the file name, .xml is xml, anything else json)
  --mode <m>     upsert (default) or replace: products absent from the feed are removed`,
  options: { format: { type: 'string' }, mode: { type: 'string' } },
  run: async (context: CommandContext) => {
    const [action, feed, ...rest] = context.positionals;
    if (action !== 'import')
      throw new UsageError(action === undefined ? `catalog needs a subcommand: ${USAGE}` : `unknown catalog subcommand "${action}": ${USAGE}`);
    if (feed === undefined || rest.length > 0) throw new UsageError(`catalog import takes one feed: ${USAGE}`);
    const format =
      choiceOption(context.values, 'format', ['json', 'xml'] as const) ?? (/\.xml(\.gz)?$/i.test(feed) || extname(feed) === '.xml' ? 'xml' : 'json');
    const mode = choiceOption(context.values, 'mode', ['upsert', 'replace'] as const) ?? 'upsert';
    checkReadableFile(feed);
    const result = await withStore(context, 'create', (db) => importFeedOf(db)(feed, { format, mode }));
    printAnswer(context, { feed, format, mode, ...result }, toText);
    if (result.error === undefined) return EXIT.ok;
    process.stderr.write(`eventdb: the import stopped: ${result.error.message}\n`);
    return EXIT.failure;
  },
};

/** The store's importFeed, or a clear failure while this version has none. */
function importFeedOf(db: EventDB): ImportFeed {
  const importFeed = (db.catalog as { importFeed?: ImportFeed }).importFeed;
  if (typeof importFeed !== 'function') throw new CommandFailure('catalog import is not available yet in this version of eventdb');
  return importFeed.bind(db.catalog);
}

function toText(answer: ImportResult & { feed: string; mode: string }): string {
  const unchanged = answer.unchanged === undefined ? '' : ` (${count(answer.unchanged)} unchanged)`;
  const lines = [
    `Imported ${count(answer.imported)} products${unchanged} from ${answer.feed} (${answer.mode}); removed ${count(answer.removed)}; rejected ${count(answer.rejected.length)}`,
  ];
  for (const rejection of answer.rejected.slice(0, 5)) {
    const issues = rejection.errors.map((issue) => `${issue.code} at "${issue.path}": ${issue.message}`).join('; ');
    lines.push(`  item ${rejection.index}${rejection.id === undefined ? '' : ` (${rejection.id})`}: ${issues}`);
  }
  if (answer.rejected.length > 5) lines.push(`  … and ${count(answer.rejected.length - 5)} more (--json lists them all)`);
  return lines.join('\n');
}
