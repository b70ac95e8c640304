// Follows the store at argv[2] read-only with db.changes({ live: true }) and, at the first change, stalls
// synchronously (as a consumer busy with heavy work does) for argv[3] ms, after printing "stalled <pid>".

import { EventDB } from '../../src/index.js';

const [path, stallArg] = process.argv.slice(2);
const db = await EventDB.open({ path: path!, readOnly: true });
for await (const change of db.changes({ live: true, pageSize: 1_000 })) {
  process.stdout.write(`stalled ${change.position}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stallArg));
  break;
}
await db.close();
