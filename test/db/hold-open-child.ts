// Opens the store at argv[2], says "open" on stdout, and keeps it open until killed or stdin closes.
// With argv[3] === 'exit' it exits at once instead, without closing the store (the lock goes on process exit).

import { EventDB } from '../../src/index.js';

const db = await EventDB.open({ path: process.argv[2]! });
process.stdout.write('open\n');
if (process.argv[3] === 'exit') process.exit(0);
process.stdin.resume();
process.stdin.on('end', () => {
  void db.close().then(() => process.exit(0));
});
