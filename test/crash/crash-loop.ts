// The crash loop, shared by the test (20 kills) and scripts/crash-loop.ts (200): a child runs mixed steps and is
// SIGKILLed at a random moment; after each kill the store reopens and must hold every acknowledged step exactly
// once, no step in part, the right record count, and verify clean.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { EventDB } from '../../src/index.js';
import { stepPresence } from './crash-steps.js';
import { nodeArgs } from '../helpers/child-build.js';

const LOOP_CHILD = join(import.meta.dirname, 'loop-child.ts');

/** Runs a child until `killAfterMs` after its first ack, SIGKILLs it, resolves with the last acknowledged step (-1 if none). */
export function runAndKill(child: string, dir: string, round: number, killAfterMs: number, extraArgs: readonly string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeArgs(child), dir, String(round), ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastAck = -1;
    let buffered = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('ack ')) continue;
        if (lastAck < 0) setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        lastAck = Number(line.slice(4));
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(lastAck);
      else reject(new Error(`child exited without being killed: ${stderr}`));
    });
  });
}

/**
 * Copies a store that failed its check to `$CRASH_KEEP_FAILED/seed-<seed>-round-<round>` when that variable names a
 * directory: a kill's timing is not replayed by the seed, so the store itself is what can be examined.
 */
function keepFailedStore(dir: string, seed: number, round: number): void {
  const keep = process.env['CRASH_KEEP_FAILED'];
  if (keep === undefined || keep === '') return;
  const target = join(keep, `seed-${seed}-round-${round}`);
  cpSync(dir, target, { recursive: true });
  console.log(`failed store copied to ${target}`);
}

/** A kill delay for round `round`: spread over 10–600 ms after the first acknowledgement, fixed by the seed. */
export function killDelay(seed: number, round: number): number {
  return 10 + (((Math.imul(seed + 1, 2654435761) ^ Math.imul(round + 1, 40503)) >>> 0) % 590);
}

/** Kills and checks `rounds` times on the store at `dir` (which may hold earlier rounds). */
export async function crashLoop(dir: string, rounds: number, seed: number, log: (line: string) => void = () => {}): Promise<void> {
  let expectedRecords = 0;
  for (let round = 0; round < rounds; round++) {
    const delay = killDelay(seed, round);
    // Checkpoints every 20–400 records, so kills land before, inside and after them.
    const checkpointRecords = 20 + (killDelay(seed + 7, round) % 381);
    const lastAck = await runAndKill(LOOP_CHILD, dir, round, delay, [String(checkpointRecords)]);
    // Every other round this check closes without a checkpoint: the next child's open replays the tail (and may
    // be killed while it does).
    const db = await EventDB.open({ path: dir }, { checkpointAtClose: round % 2 === 0 });
    try {
      let step = 0;
      for (; ; step++) {
        const { present, whole } = stepPresence(db, round, step);
        const where = `seed ${seed}, round ${round}, step ${step} (last ack ${lastAck})`;
        if (step <= lastAck) assert.equal(present, whole, `${where}: an acknowledged step is missing records`);
        assert.ok(present === 0 || present === whole, `${where}: a step is in part (${present} of ${whole})`);
        if (present === 0 && step > lastAck) break;
        expectedRecords += present;
      }
      assert.ok(step <= lastAck + 2, `seed ${seed}, round ${round}: steps after the last ack landed`);
      assert.equal(db.stats().records, expectedRecords, `seed ${seed}, round ${round}: records in the log`);
      const report = await db.verify();
      assert.deepEqual(report.differences, [], `seed ${seed}, round ${round}: verify`);
      const { storage } = db as unknown as {
        storage: { consolidatedGenerations(): number; index: { runCount: number; runMerges: number }; dedupeRuns: { runCount: number; merges: number } };
      };
      log(
        `round ${round}: killed ${delay} ms after the first ack, checkpoints every ${checkpointRecords} records, last ack ${lastAck}, ${expectedRecords} records, ${storage.consolidatedGenerations()} generations consolidated, ${storage.index.runMerges} index run merges (${storage.index.runCount} runs), ${storage.dedupeRuns.merges} dedupe run merges (${storage.dedupeRuns.runCount} runs), verify clean`,
      );
    } catch (err) {
      keepFailedStore(dir, seed, round);
      throw err;
    } finally {
      await db.close();
    }
  }
}
