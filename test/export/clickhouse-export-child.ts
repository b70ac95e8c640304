// Exports the store at argv[2] (read-only) into ClickHouse at argv[3], table argv[4], in blocks of argv[5] rows,
// printing each block's progress; the test SIGKILLs it mid-run.

import { EventDB } from '../../src/index.js';

const [path, url, table, blockRows] = process.argv.slice(2);
const db = await EventDB.open({ path: path!, readOnly: true });
let blocks = 0;
await db.exportTo({
  to: 'clickhouse',
  url: url!,
  table: table!,
  blockRows: Number(blockRows),
  onProgress: () => process.stdout.write(`block ${++blocks}\n`),
});
await db.close();
