// Vitest's global setup: transpiles src/ and test/ once for the child processes the tests start (see child-build.ts).
// Each file is transpiled on its own (the sources are isolatedModules), its imports left as they are. The copy is
// removed when the run ends, so that a script run by hand afterwards (scripts/crash-loop.ts) never starts children
// from sources older than the ones it was started with.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CHILD_BUILD, CHILD_BUILD_READY, ROOT } from './child-build.js';

export default async function setup(): Promise<() => void> {
  rmSync(CHILD_BUILD, { recursive: true, force: true });
  const entryPoints = ['src', 'test'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
      .map((file) => join(dir, file)),
  );
  await build({ absWorkingDir: ROOT, entryPoints, outdir: CHILD_BUILD, outbase: '.', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  // Under node_modules no package.json of ours is in scope: say the files are ES modules.
  writeFileSync(join(CHILD_BUILD, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(CHILD_BUILD_READY, '');
  return () => rmSync(CHILD_BUILD, { recursive: true, force: true });
}
