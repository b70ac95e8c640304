// One of the racers of test/db/lock.test.ts: takes the writer lock of the store at argv[2] when told, on a shared clock.
// Protocol (one line each way): "go <epoch ms> <lock|open> <store dir>" → waits for that instant, takes the lock with
// StoreLock.acquire (lock) or EventDB.open (open), answers "won" or "locked <why>"; "release" → releases what it holds,
// answers "released".

import { createInterface } from 'node:readline';
import { EventDB, isEventDBError } from '../../src/index.js';
import { StoreLock } from '../../src/storage/store-lock.js';

let held: { release(): Promise<void> | void } | undefined;

const now = (): number => performance.timeOrigin + performance.now();

async function take(viaOpen: boolean, dir: string): Promise<string> {
  try {
    if (viaOpen) {
      const db = await EventDB.open({ path: dir });
      held = { release: () => db.close() };
    } else {
      const lock = StoreLock.acquire(dir);
      held = { release: () => lock.release() };
    }
    return 'won';
  } catch (err) {
    return isEventDBError(err, 'LOCKED') ? `locked ${(err as Error).message}` : `error ${String(err)}`;
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.startsWith('go ')) {
    const [, at, mode, dir] = /^go (\S+) (lock|open) (.+)$/.exec(line)!.map(String);
    // Sleep to a few ms before the instant, then spin: a timer alone would add a millisecond or more of jitter.
    const wait = Number(at) - now() - 4;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (now() < Number(at)) {
      // Spin.
    }
    process.stdout.write(`${await take(mode === 'open', dir!)}\n`);
  } else if (line === 'release') {
    await held?.release();
    held = undefined;
    process.stdout.write('released\n');
  }
}
await held?.release();
