// Opens the store at argv[2] read-only, beside a writer in another process, and polls it until it holds
// argv[3] batches of argv[4] records (profileId "ro", eventIds ro-<batch>-<i>) or 15 s pass. Prints "open", then
// one JSON line per state it sees that differs from the last: what stats(), events(), getProfile() and getEvent()
// say in one turn of its event loop. Exits 0 once it has seen the last batch, 2 on the deadline.

import { EventDB } from '../../src/index.js';

const [path, batchesArg, sizeArg] = process.argv.slice(2);
const batches = Number(batchesArg);
const size = Number(sizeArg);
const deadline = Date.now() + 15_000;

const db = await EventDB.open({ path: path!, readOnly: true });
process.stdout.write('open\n');
let last = '';
for (;;) {
  const stats = db.stats();
  const indexed = db.events({ profileId: 'ro' }).toArray().length;
  const profile = db.getProfile({ profileId: 'ro' })?.eventCount ?? 0;
  // Which records of each batch are readable by eventId: a whole batch reads as all or nothing.
  const present: number[] = [];
  for (let b = 1; b <= batches; b++) {
    let found = 0;
    for (const i of [0, Math.floor(size / 2), size - 1]) if (db.getEvent(`ro-${b}-${i}`) !== undefined) found++;
    present.push(found);
  }
  const state = JSON.stringify({ events: stats.events, records: stats.records, indexed, profile, present });
  if (state !== last) {
    process.stdout.write(`${state}\n`);
    last = state;
  }
  if (stats.events >= batches * size) break;
  if (Date.now() > deadline) {
    await db.close();
    process.exit(2);
  }
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await db.close();
process.exit(0);
