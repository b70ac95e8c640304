#!/usr/bin/env node
// The eventdb command line: finds the command, parses its options, runs it and maps failures to exit codes.

import { parseArgs } from 'node:util';
import { CommandFailure, EXIT, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, type Command, type CommandContext } from './command.js';
import { account } from './commands/account.js';
import { catalog } from './commands/catalog.js';
import { demo } from './commands/demo.js';
import { events } from './commands/events.js';
import { ingest } from './commands/ingest.js';
import { profile } from './commands/profile.js';
import { session } from './commands/session.js';
import { stats } from './commands/stats.js';
import { verify } from './commands/verify.js';
import { quarantine } from './commands/quarantine.js';
import { serve } from './commands/serve.js';
import { changes } from './commands/changes.js';
import { exportCommand } from './commands/export.js';

/** Every command, by name. A new command is one file under ./commands/ and one entry here. */
const COMMANDS: readonly Command[] = [ingest, catalog, profile, events, account, session, stats, quarantine, verify, serve, changes, exportCommand, demo];

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const list = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
  return `eventdb: an embedded event database for Node.js on LMDB

Usage: eventdb <command> [options]

Commands:
${list}

${GLOBAL_USAGE}

Exit codes: 0 ok, 1 failure, 2 bad usage, 3 not found (profile, account, session),
4 verify found differences.

Run 'eventdb <command> --help' for the options of one command.`;
}

/** Finds the command: the first positional argument, read with the global options known. */
function splitCommand(args: string[]): { name: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({ args, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((token) => token.kind === 'positional');
  if (first === undefined) return { name: undefined, rest: args };
  return { name: first.value, rest: args.filter((_arg, i) => i !== first.index) };
}

function contextFor(command: Command, args: string[]): CommandContext {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
  return {
    db: String(values['db']),
    json: values['json'] === true,
    debug: values['debug'] === true,
    values,
    positionals,
  };
}

async function main(args: string[]): Promise<number> {
  const { name, rest } = splitCommand(args);
  if (name === undefined) {
    if (!rest.includes('--help') && !rest.includes('-h')) throw new UsageError('no command given');
    process.stdout.write(`${generalHelp()}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) throw new UsageError(`unknown command "${name}"`);
  const context = contextFor(command, rest);
  if (context.values['help'] === true) {
    process.stdout.write(`${command.usage}\n\n${GLOBAL_USAGE}\n`);
    return 0;
  }
  return (await command.run(context)) ?? EXIT.ok;
}

/** parseArgs reports bad usage as TypeErrors with ERR_PARSE_ARGS_* codes. */
function isUsageError(err: unknown): boolean {
  if (err instanceof UsageError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** The first line of an error's message; for usage errors the first sentence (parseArgs runs on with advice). */
function summaryOf(err: unknown, usage: boolean): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n')[0]!;
  if (!usage) return line;
  const sentence = line.split(/\.\s/)[0]!.replace(/\.$/, '');
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

function report(err: unknown, debug: boolean): number {
  if (isUsageError(err)) {
    process.stderr.write(`eventdb: ${summaryOf(err, true)} (run 'eventdb --help' for usage)\n`);
    return EXIT.usage;
  }
  process.stderr.write(`eventdb: ${summaryOf(err, false)}\n`);
  if (debug && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  return err instanceof CommandFailure ? err.exitCode : EXIT.failure;
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = report(err, argv.includes('--debug'));
  },
);
