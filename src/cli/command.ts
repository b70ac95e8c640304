// The contract every CLI command implements, the global options they share, and the usage error.

import type { ParseArgsConfig } from 'node:util';

/** Option declarations in the shape `node:util` `parseArgs` takes. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Values of parsed options, by name. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What every command receives: the global options, its own option values and its positionals. */
export interface CommandContext {
  /** Store directory (`--db`, default `./eventdb-data`). */
  db: string;
  /** Machine-readable output: one JSON object on stdout. */
  json: boolean;
  /** Print stack traces on errors. */
  debug: boolean;
  /** Every parsed option, global ones included. */
  values: OptionValues;
  positionals: string[];
}

/**
 * One `eventdb <name>` command. A new command is one file under
 * `src/cli/commands/` exporting a `Command`, plus one line in the registry of `main.ts`.
 */
export interface Command {
  name: string;
  /** One line for the command list of `eventdb --help`. */
  summary: string;
  /** The usage lines printed by `eventdb <name> --help`. */
  usage: string;
  /** The command's own options (global ones are added by `main.ts`). */
  options: OptionSpecs;
  /** Runs the command; throws `UsageError` for bad arguments, anything else for failures. */
  run(context: CommandContext): Promise<void>;
}

/** Bad command-line usage: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Global options, accepted by every command. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  db: { type: 'string', default: './eventdb-data' },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

/** Usage lines of the global options, for help texts. */
export const GLOBAL_USAGE = `Global options:
  --db <dir>   store directory (default ./eventdb-data)
  --json       machine-readable output: one JSON object on stdout
  --debug      print stack traces on errors
  -h, --help   show help`;

/** Reads a positive integer option, or throws a UsageError naming it. */
export function positiveIntegerOption(values: OptionValues, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const text = String(raw).replace(/_/g, '');
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${name} must be a positive integer, not "${String(raw)}"`);
  }
  return value;
}
