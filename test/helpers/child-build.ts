// Child processes of the tests run the sources transpiled to JavaScript once per test run (by global-setup.ts),
// not through tsx: tsx costs about 0.8 s of CPU at every start (its loader thread, then each module through it),
// and the suite starts about a hundred children on a 2-core machine.

import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Where the test runs' transpiled copies live: under node_modules, so that packages resolve from them. */
export const CHILD_BUILDS = join(ROOT, 'node_modules', '.cache', 'eventdb-test-build');

/**
 * The variable in which a test run's global setup names its copy (a directory of its own per run: two runs side by
 * side, in a terminal and an editor, would otherwise remove each other's copy at their ends). A test started
 * without it, or a script run by hand, runs its children from the sources through tsx.
 */
export const CHILD_BUILD_VARIABLE = 'EVENTDB_TEST_BUILD';

/** The copy of the test run in process `pid`. */
export const childBuildOf = (pid: number): string => join(CHILD_BUILDS, `run-${pid}`);

/** Written last by the build: without it (a failed or partial build) children run the sources through tsx. */
export const readyMarker = (build: string): string => join(build, 'ready');

/**
 * The `node` arguments that run a TypeScript file of this repository (absolute, or relative to the repository's
 * root): its transpiled copy when the test run built one, else the file itself through tsx.
 */
export function nodeArgs(file: string): string[] {
  const build = process.env[CHILD_BUILD_VARIABLE];
  if (build === undefined || build === '') return ['--import', 'tsx', file];
  const compiled = join(build, relative(ROOT, resolve(ROOT, file)).replace(/\.ts$/, '.js'));
  return existsSync(readyMarker(build)) && existsSync(compiled) ? [compiled] : ['--import', 'tsx', file];
}
