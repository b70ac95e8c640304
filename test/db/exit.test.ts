// process.exit() with the store open while the consolidation's worker is inside a write transaction: Node ends the
// worker at exit, and one ended inside lmdb-js's transactionSync never releases its write lock, which its cleanup
// then takes again — the exit hung. The exit now waits for the transaction to end.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { nodeArgs } from '../helpers/child-build.js';

const CHILD = join(import.meta.dirname, 'exit-child.ts');
/** The worker holds each transaction this long; the exit must wait for it, and no longer than `EXIT_WAIT_MS`. */
const HOLD_MS = 1_500;

describe('process.exit() with the store open', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ends while the consolidation worker is in a write transaction, and the store reopens clean', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-exit-'));
    const { out, outcome } = await runChild([dir], { EVENTDB_TEST_WORKER_HOLDS_TXN_MS: String(HOLD_MS) });
    expect(out.trim()).toBe('in-transaction');
    expect(outcome).toBe(0);

    const db = await EventDB.open({ path: dir });
    expect(db.stats().events).toBe(2_000);
    expect((await db.verify()).ok).toBe(true);
    await db.close();
  }, 60_000);

  it('waits for a worker thread that is still starting, and the store reopens clean', async () => {
    // A thread ended while lmdb-js's addon loads in it can abort the process; the hook makes the start last.
    dir = mkdtempSync(join(tmpdir(), 'eventdb-exit-'));
    const db = await EventDB.open({ path: dir, checkpoint: { records: 200 } }, { generationBits: 8, consolidation: 'off' });
    await db.ingestBatch(
      Array.from({ length: 600 }, (_, i) => ({
        eventId: `e${i}`,
        profileId: `p${i % 37}`,
        sessionId: `s${i % 11}`,
        eventName: 'view',
        timestamp: '2026-01-01T00:00:00Z',
      })),
    );
    await db.close();
    const started = join(dir, 'worker-started');
    const { out, outcome } = await runChild([dir, 'at-open'], { EVENTDB_TEST_WORKER_START_MS: '400', EVENTDB_TEST_WORKER_STARTED_FILE: started });
    expect(out.trim()).toBe('starting');
    expect(outcome).toBe(0);
    expect(existsSync(started) ? readFileSync(started, 'utf8') : 'never started').toBe('started\n');

    const again = await EventDB.open({ path: dir });
    expect(again.stats().events).toBe(600);
    expect((await again.verify()).ok).toBe(true);
    await again.close();
  }, 60_000);
});

/** Runs the child on `args` with `env` added; resolves with its stdout and its exit code (or signal, or 'hung'). */
async function runChild(args: string[], env: Record<string, string>): Promise<{ out: string; outcome: number | string | null }> {
  const child = spawn(process.execPath, [...nodeArgs(CHILD), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000).unref());
  const outcome = await Promise.race([exited, hung]);
  if (outcome === 'hung') child.kill('SIGKILL');
  return { out, outcome };
}
