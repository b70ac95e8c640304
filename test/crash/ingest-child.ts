// Child process for the crash test: ingests deterministic batches and prints each acknowledged one.
// Usage: node --import tsx ingest-child.ts <dir> <round>

import { EventDB } from '../../src/index.js';
import { crashBatch } from './crash-batches.js';

const [dir, roundText] = process.argv.slice(2);
const round = Number(roundText);
const db = await EventDB.open({ path: dir! });
process.stdout.write('open\n');
for (let batch = 0; ; batch++) {
  await db.ingestBatch(crashBatch(round, batch));
  process.stdout.write(`ack ${batch}\n`);
}
