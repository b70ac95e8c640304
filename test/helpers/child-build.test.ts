// The test run's transpiled copy: each run builds its own and names it to the test processes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHILD_BUILD_VARIABLE, CHILD_BUILDS, nodeArgs } from './child-build.js';

describe('child processes of the tests', () => {
  it("run the transpiled copy of this run's own, in a directory of its own", () => {
    const build = process.env[CHILD_BUILD_VARIABLE];
    expect(build).toMatch(new RegExp(`^${CHILD_BUILDS.replaceAll('/', '\\/')}\\/run-\\d+$`));
    expect(nodeArgs('test/crash/loop-child.ts')).toEqual([join(build!, 'test', 'crash', 'loop-child.js')]);
    expect(existsSync(join(build!, 'src', 'index.js'))).toBe(true);
  });

  it('run the sources through tsx when no copy is named', () => {
    const build = process.env[CHILD_BUILD_VARIABLE];
    try {
      delete process.env[CHILD_BUILD_VARIABLE];
      expect(nodeArgs('test/crash/loop-child.ts')).toEqual(['--import', 'tsx', 'test/crash/loop-child.ts']);
    } finally {
      process.env[CHILD_BUILD_VARIABLE] = build;
    }
  });
});
