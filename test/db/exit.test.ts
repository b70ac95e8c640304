// process.exit() with the store open while the consolidation's worker is inside a write transaction: Node ends the
// worker at exit, and one ended inside lmdb-js's transactionSync never releases its write lock, which its cleanup
// then takes again — the exit hung. The exit now waits for the transaction to end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
    const child = spawn(process.execPath, [...nodeArgs(CHILD), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, EVENTDB_TEST_WORKER_HOLDS_TXN_MS: String(HOLD_MS) },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000).unref());
    const outcome = await Promise.race([exited, hung]);
    if (outcome === 'hung') child.kill('SIGKILL');
    expect(out.trim()).toBe('in-transaction');
    expect(outcome).toBe(0);

    const db = await EventDB.open({ path: dir });
    expect(db.stats().events).toBe(2_000);
    expect((await db.verify()).ok).toBe(true);
    await db.close();
  }, 60_000);
});
