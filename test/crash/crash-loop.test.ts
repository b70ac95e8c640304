// The crash loop, short: 20 SIGKILLs of a child mixing event batches, attribute updates, links and catalog imports.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { crashLoop } from './crash-loop.js';

const dir = mkdtempSync(join(tmpdir(), 'eventdb-crash-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crash loop', () => {
  it('keeps every acknowledged step exactly once and no step in part, across 20 SIGKILLs', async () => {
    const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
    console.log(`crash loop seed ${seed} (replay with CRASH_SEED=${seed}; 200 rounds: npx tsx scripts/crash-loop.ts --seed ${seed})`);
    await crashLoop(dir, 20, seed, (line) => console.log(line));
  }, 240_000);
});
