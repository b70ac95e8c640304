// Shared by the benches: throw-away store directories and tinybench tasks timed around one whole job.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';

/** A root directory for one bench run; `fresh()` names a new store directory under it, `remove()` deletes everything. */
export function benchDirs(prefix: string): { root: string; fresh: () => string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  return {
    root,
    fresh: () => join(root, `store-${count++}`),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Adds a task that runs `job` on a fresh store directory; only the job is timed, and the directory is removed after. */
export function storeTask(bench: Bench, name: string, fresh: () => string, job: (dir: string) => Promise<void>): void {
  bench.add(name, async () => {
    const dir = fresh();
    const started = performance.now();
    await job(dir);
    const overriddenDuration = performance.now() - started;
    rmSync(dir, { recursive: true, force: true });
    return { overriddenDuration };
  });
}
