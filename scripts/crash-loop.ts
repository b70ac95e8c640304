// The long crash loop: 200 SIGKILLs (or --rounds N) of a child running mixed steps, each followed by a full check.
// Run: npx tsx scripts/crash-loop.ts [--rounds 200] [--seed n]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crashLoop } from '../test/crash/crash-loop.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' }, seed: { type: 'string' } } });
const seed = Number(values.seed ?? Date.now() % 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'eventdb-crash-loop-'));
console.log(`crash loop: ${values.rounds} rounds, seed ${seed} (replay with --seed ${seed}), store ${dir}`);
const started = performance.now();
try {
  await crashLoop(dir, Number(values.rounds), seed, (line) => console.log(line));
  console.log(`all ${values.rounds} rounds held, in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
