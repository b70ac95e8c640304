// Opens the store at argv[2], says "open" on stdout, and keeps it open until killed or stdin closes.

import { EventDB } from '../../src/index.js';

const db = await EventDB.open({ path: process.argv[2]! });
process.stdout.write('open\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void db.close().then(() => process.exit(0));
});
