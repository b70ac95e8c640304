// Opens the store at argv[2] with small generations and frequent checkpoints and calls process.exit(0) with it open:
// with argv[3] `at-open`, at once (an open that kicked the consolidation, so its worker thread is still starting);
// otherwise once it has ingested until the worker is inside a write transaction (held open by
// EVENTDB_TEST_WORKER_HOLDS_TXN_MS), which it says on stdout.

import { EventDB } from '../../src/index.js';
import { Flag } from '../../src/ingest/consolidation.js';

const db = await EventDB.open({ path: process.argv[2]!, checkpoint: { records: 200 } }, { generationBits: 8 });
if (process.argv[3] === 'at-open') {
  const running = (db as unknown as { consolidator: { running: unknown } }).consolidator.running !== undefined;
  process.stdout.write(running ? 'starting\n' : 'no worker\n');
  process.exit(0);
}
for (let start = 0; start < 2_000; start += 100) {
  const batch = Array.from({ length: 100 }, (_, i) => ({
    eventId: `e${start + i}`,
    profileId: `p${(start + i) % 37}`,
    sessionId: `s${(start + i) % 101}`,
    eventName: 'view',
    timestamp: new Date(Date.UTC(2026, 0, 1) + (start + i) * 1000).toISOString(),
  }));
  await db.ingestBatch(batch);
}
// Bench and test code may look inside: the flags the writer shares with its worker.
const flags = (db as unknown as { consolidator: { flags: Int32Array } }).consolidator.flags;
for (const deadline = Date.now() + 20_000; Atomics.load(flags, Flag.inTransaction) === 0 && Date.now() < deadline;) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
process.stdout.write(Atomics.load(flags, Flag.inTransaction) === 1 ? 'in-transaction\n' : 'never\n');
process.exit(0);
