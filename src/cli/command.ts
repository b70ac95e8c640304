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
  /**
   * Runs the command; resolves with its exit code (0 when nothing is returned).
   * Throws `UsageError` for bad arguments, `CommandFailure` for an answer with
   * its own exit code, anything else for failures.
   */
  run(context: CommandContext): Promise<number | void>;
}

/** Exit codes scripts can rely on. */
export const EXIT = Object.freeze({
  ok: 0,
  /** Anything failed: an unreadable file, a store that cannot be opened, a write error. */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** `profile`, `account`, `session`: nothing has that id. */
  notFound: 3,
  /** `verify`: the store differs from what its log implies. */
  differences: 4,
});

/** A failure printed as one sentence, with its own exit code. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
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
  return integerOption(values, name, fallback, 1);
}

/** Reads an integer option of at least `min`, or throws a UsageError naming it. */
export function integerOption(values: OptionValues, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const text = String(raw).replace(/_/g, '');
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    const kind = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
    throw new UsageError(`--${name} must be ${kind}, not "${String(raw)}"`);
  }
  return value;
}

/** Reads a string option that must be one of `choices`. */
export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${String(raw)}"`);
  return raw as T;
}

/** The command's single positional argument, or a UsageError saying what is missing. */
export function onePositional(context: CommandContext, what: string, usage: string): string {
  const [first, ...rest] = context.positionals;
  if (first === undefined || first === '') throw new UsageError(`${what} is missing: ${usage}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}": ${usage}`);
  return first;
}
