// How commands print their answer: one JSON object with --json, readable text otherwise.

import type { CommandContext } from './command.js';

/** Prints `value` as JSON (`--json`) or the text `toText` makes of it. */
export function printAnswer<T>(context: CommandContext, value: T, toText: (value: T) => string): void {
  const text = context.json ? JSON.stringify(value, null, 2) : toText(value);
  process.stdout.write(`${text}\n`);
}

/**
 * An object as aligned `key  value` lines: strings and numbers as they are,
 * short arrays joined, anything else as compact JSON.
 */
export function keyValues(object: object): string {
  const entries = Object.entries(object);
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${formatValue(value)}`).join('\n');
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 6 });
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.length === 0 ? '-' : value.join(', ');
  return JSON.stringify(value);
}
