// Child process for the interrupted-ingest test: ingests a file, printing each progress report, until killed.
// Usage: node --import tsx ingest-file-child.ts <dir> <file>

import { EventDB } from '../../src/index.js';

const [dir, file] = process.argv.slice(2);
const db = await EventDB.open({ path: dir! });
await db.ingestFile(file!, {
  workers: 2,
  batchSize: 500,
  onProgress: (progress) => process.stdout.write(`progress ${progress.linesRead}\n`),
});
process.stdout.write('done\n');
await db.close();
