// Child process of the crash loop: runs mixed steps against the store and prints each acknowledged one.
// Usage: node --import tsx loop-child.ts <dir> <round> [<checkpoint every N records>]

import { EventDB } from '../../src/index.js';
import { runStep } from './crash-steps.js';

const [dir, roundText, checkpointText] = process.argv.slice(2);
const round = Number(roundText);
// Merged dedupe runs of at most 2,048 entries: merges reach the limit many times over the loop. Generations of 512
// records (kept by the store from its first open): they close every few steps, and the worker thread consolidates
// them while the child writes, so kills land in consolidations too.
const db = await EventDB.open({ path: dir!, checkpoint: { records: Number(checkpointText ?? 200_000) } }, { dedupeMergeEntries: 2_048, generationBits: 9 });
process.stdout.write('open\n');
for (let step = 0; ; step++) {
  await runStep(db, round, step);
  process.stdout.write(`ack ${step}\n`);
}
