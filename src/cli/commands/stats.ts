// `eventdb stats`: the store's totals.

import { megabytes } from '../format.js';
import { keyValues, printAnswer } from '../output.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { withStore } from '../store.js';

/** `eventdb stats` */
export const stats: Command = {
  name: 'stats',
  summary: 'show the store totals: records, duplicates, rejected, profiles, size',
  usage: `Usage: eventdb stats

Prints db.stats(): records, events, duplicates, conflicts, rejected,
quarantined, profiles, accounts, sessions, products and size on disk.`,
  options: {},
  run: async (context: CommandContext) => {
    if (context.positionals.length > 0) throw new UsageError(`stats takes no arguments, got "${context.positionals[0]}"`);
    const totals = await withStore(context, 'read', (db) => db.stats());
    printAnswer(context, totals, (s) => keyValues({ ...s, bytesOnDisk: megabytes(s.bytesOnDisk) }));
  },
};
