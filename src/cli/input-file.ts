// Checks an input file named on the command line before any store is opened, so a typo fails in one sentence.

import { statSync } from 'node:fs';
import { CommandFailure } from './command.js';

/** Throws a CommandFailure unless `file` is a readable regular file. */
export function checkReadableFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new CommandFailure(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : String((err as Error).message)}`);
  }
  if (!isFile) throw new CommandFailure(`cannot read ${file}: it is not a file`);
}
