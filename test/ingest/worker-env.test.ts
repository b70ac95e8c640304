// The environment of eventdb's threads: no thread it starts loads msgpackr-extract (see `workerEnv`).

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerEnv } from '../../src/ingest/bulk/worker-pool.js';

const require = createRequire(import.meta.url);

/** The native addons a thread loads while it loads lmdb-js and msgpackr, as eventdb's threads do. */
async function addonsLoaded(env: NodeJS.ProcessEnv): Promise<string[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const loaded = [];
    const dlopen = process.dlopen;
    process.dlopen = function (module, file, ...rest) { loaded.push(file); return dlopen.call(this, module, file, ...rest); };
    for (const path of workerData) require(path);
    parentPort.postMessage(loaded);`;
  const worker = new Worker(code, { eval: true, workerData: [require.resolve('lmdb'), require.resolve('msgpackr')], env });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe('workerEnv', () => {
  it('starts threads that do not load msgpackr-extract, whose load can corrupt strings decoded on other threads', async () => {
    // Control: a thread whose environment lacks the variable loads it (the check sees the load it guards against;
    // this process has the variable by now, from src/storage/msgpack-strings.ts). eventdb's threads go without the
    // addon even when the application chose native decoding for its own.
    const without: NodeJS.ProcessEnv = { ...process.env };
    delete without['MSGPACKR_NATIVE_ACCELERATION_DISABLED'];
    expect((await addonsLoaded(without)).some((file) => file.includes('msgpackr-extract'))).toBe(true);
    const saved = process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'];
    process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] = 'false';
    let loaded: string[];
    try {
      loaded = await addonsLoaded(workerEnv());
    } finally {
      if (saved === undefined) delete process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'];
      else process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] = saved;
    }
    expect(loaded.some((file) => file.includes('lmdb'))).toBe(true);
    expect(loaded.filter((file) => file.includes('msgpackr-extract'))).toEqual([]);
  });

  it('keeps the rest of the process environment', () => {
    process.env['EVENTDB_TEST_WORKER_ENV'] = 'kept';
    try {
      expect(workerEnv()['EVENTDB_TEST_WORKER_ENV']).toBe('kept');
    } finally {
      delete process.env['EVENTDB_TEST_WORKER_ENV'];
    }
  });
});
