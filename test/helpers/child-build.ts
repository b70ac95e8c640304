// Child processes of the tests run the sources transpiled to JavaScript once per test run (by global-setup.ts),
// not through tsx: tsx costs about 0.8 s of CPU at every start (its loader thread, then each module through it),
// and the suite starts about a hundred children on a 2-core machine.

import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Where the transpiled copy of `src/` and `test/` lives: under node_modules, so that packages resolve from it. */
export const CHILD_BUILD = join(ROOT, 'node_modules', '.cache', 'eventdb-test-build');

/** Written last by the build: without it (a failed or partial build) children run the sources through tsx. */
export const CHILD_BUILD_READY = join(CHILD_BUILD, 'ready');

/**
 * The `node` arguments that run a TypeScript file of this repository (absolute, or relative to the repository's
 * root): its transpiled copy when the test run built one, else the file itself through tsx.
 */
export function nodeArgs(file: string): string[] {
  const compiled = join(CHILD_BUILD, relative(ROOT, resolve(ROOT, file)).replace(/\.ts$/, '.js'));
  return existsSync(CHILD_BUILD_READY) && existsSync(compiled) ? [compiled] : ['--import', 'tsx', file];
}
