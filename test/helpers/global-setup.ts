// Vitest's global setup: transpiles src/ and test/ once for the child processes the tests start (see child-build.ts).
// Each file is transpiled on its own (the sources are isolatedModules), its imports left as they are. Each run has
// a copy of its own, named to the test processes in an environment variable and removed when the run ends, so that
// a run beside it keeps its own and a script run by hand afterwards (scripts/crash-loop.ts) starts its children from
// the sources it was started with.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CHILD_BUILD_VARIABLE, CHILD_BUILDS, ROOT, childBuildOf, readyMarker } from './child-build.js';

export default async function setup(): Promise<() => void> {
  removeCopiesOfEndedRuns();
  const outdir = childBuildOf(process.pid);
  rmSync(outdir, { recursive: true, force: true });
  const entryPoints = ['src', 'test'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
      .map((file) => join(dir, file)),
  );
  await build({ absWorkingDir: ROOT, entryPoints, outdir, outbase: '.', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  // Under node_modules no package.json of ours is in scope: say the files are ES modules.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(readyMarker(outdir), '');
  // The test processes are forked after the global setup, with this environment.
  process.env[CHILD_BUILD_VARIABLE] = outdir;
  return () => rmSync(outdir, { recursive: true, force: true });
}

/** Removes the copies left by runs that ended without their teardown (killed), and what older versions left there. */
function removeCopiesOfEndedRuns(): void {
  let names: string[];
  try {
    names = readdirSync(CHILD_BUILDS);
  } catch {
    return; // no copy yet
  }
  for (const name of names) {
    const pid = /^run-(\d+)$/.exec(name)?.[1];
    if (pid === undefined || !alive(Number(pid))) rmSync(join(CHILD_BUILDS, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
