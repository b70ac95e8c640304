// Builds the commands that look one thing up by id (profile, account, session): print it, or exit 3 when absent.

import type { EventDB } from '../index.js';
import { CommandFailure, EXIT, onePositional, type Command, type CommandContext } from './command.js';
import { keyValues, printAnswer } from './output.js';
import { withStore } from './store.js';

/** What differs between the lookup commands. */
export interface LookupSpec {
  name: string;
  /** What the id names, for messages: `profile`, `account`… */
  noun: string;
  summary: string;
  /** Extra paragraphs of help. */
  description: string;
  find: (db: EventDB, id: string) => object | undefined;
}

/** A command `eventdb <name> <id>`. */
export function lookupCommand(spec: LookupSpec): Command {
  const usage = `eventdb ${spec.name} <id>`;
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `Usage: ${usage}\n\n${spec.description}\n\nExit code 3 when no ${spec.noun} has that id.`,
    options: {},
    run: async (context: CommandContext) => {
      const id = onePositional(context, `the ${spec.noun} id`, usage);
      const found = await withStore(context, 'read', (db) => spec.find(db, id));
      if (found === undefined) throw new CommandFailure(`no ${spec.noun} "${id}" in ${context.db}`, EXIT.notFound);
      printAnswer(context, found, keyValues);
    },
  };
}
