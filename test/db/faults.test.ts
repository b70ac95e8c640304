// Faults: a corrupt, missing, misplaced, read-only or full directory, a map that must grow, close() during an
// ingest. Each gives a clear error or just works, and committed data stays intact.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventDB, isEventDBError } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'eventdb-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let next = 0;
/**
 * `pad` characters of noise per event (a seeded stream, so the log's compression cannot shrink them): the tests that
 * fill a map or a disk need records that take their size.
 */
function events(count: number, pad = 0): Record<string, unknown>[] {
  return Array.from({ length: count }, () => {
    const i = next++;
    return {
      eventId: `f${i}`,
      profileId: `p${i % 50}`,
      sessionId: `s${i % 300}`,
      eventName: 'view',
      timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
      data: { pad: noise(i, pad) },
    };
  });
}

function noise(seed: number, length: number): string {
  let a = seed >>> 0;
  let text = '';
  for (let k = 0; k < length; k++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    text += String.fromCharCode(33 + (a >>> 25));
  }
  return text;
}

async function openError(options: Parameters<typeof EventDB.open>[0]): Promise<Error> {
  const err = await EventDB.open(options).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e: unknown) => e as Error,
  );
  expect(err, 'open should have failed').toBeDefined();
  return err!;
}

/** Mounts a tmpfs at `dir` (root only); false where this machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir: string): void {
  try {
    // Lazy: a store abandoned after a failed commit may still map its file.
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

const canMount = (() => {
  const probe = join(root, 'probe');
  const ok = mountTmpfs(probe, 'size=1m');
  if (ok) unmount(probe);
  return ok;
})();

describe('faults', () => {
  it('refuses a data file that is not an LMDB environment with CORRUPT_STORE, without crashing', async () => {
    for (const [name, bytes] of [
      ['garbage', Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) & 0xff))],
      ['truncated', Buffer.alloc(100, 1)],
    ] as const) {
      const dir = join(root, `corrupt-${name}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'data.mdb'), bytes);
      const err = await openError({ path: dir });
      expect(isEventDBError(err, 'CORRUPT_STORE'), String(err)).toBe(true);
      expect(err.message).toContain('data.mdb');
      // The failed open released its lock: the directory can be repaired and opened.
      rmSync(join(dir, 'data.mdb'));
      const db = await EventDB.open({ path: dir });
      await db.close();
    }
  });

  it('creates a missing directory, and refuses a path under a file with one clear sentence', async () => {
    const db = await EventDB.open({ path: join(root, 'a', 'b', 'c') });
    expect((await db.ingestBatch(events(3))).accepted).toBe(3);
    await db.close();
    writeFileSync(join(root, 'plain-file'), 'x');
    const err = await openError({ path: join(root, 'plain-file', 'store') });
    expect(isEventDBError(err, 'INVALID_OPTIONS')).toBe(true);
    expect(err.message).toMatch(/cannot use .* as a store directory/);
  });

  it('grows a map that starts too small, and keeps everything across a reopen', async () => {
    const dir = join(root, 'small-map');
    const db = await EventDB.open({ path: dir, mapSizeBytes: 2 ** 20 });
    let accepted = 0;
    for (let i = 0; i < 5; i++) accepted += (await db.ingestBatch(events(2_000, 1_000))).accepted;
    expect(accepted).toBe(10_000);
    expect(db.stats().bytesOnDisk).toBeGreaterThan(10 * 2 ** 20);
    await db.close();
    const again = await EventDB.open({ path: dir, mapSizeBytes: 2 ** 20 });
    expect(again.stats().events).toBe(10_000);
    expect((await again.verify()).ok).toBe(true);
    await again.close();
  });

  it('lets close() during an ingest finish the ingest first; later calls get CLOSED', async () => {
    const dir = join(root, 'close-during');
    const db = await EventDB.open({ path: dir });
    const batch = events(5_000);
    const ingesting = db.ingestBatch(batch);
    const single = db.ingest(events(1)[0]);
    const closing = db.close();
    const [result, one] = await Promise.all([ingesting, single]);
    await closing;
    expect(result.accepted).toBe(5_000);
    expect(one.status).toBe('accepted');
    await expect(db.ingest(events(1)[0])).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => db.stats()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    const again = await EventDB.open({ path: dir });
    expect(again.stats().events).toBe(5_001);
    await again.close();
  });

  it('stops ingestFile with WORKER_FAILED when a worker dies mid-file; the chunks before it are committed, a re-run finishes', async () => {
    const dir = join(root, 'worker-dies');
    const file = join(root, 'worker-dies.ndjson');
    const sent = events(600);
    const ids = sent.map((event) => event['eventId'] as string);
    const lines = sent.map((event) => JSON.stringify(event));
    lines[450] = lines[450]!.replace('"view"', '"view-worker-dies-here"');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const db = await EventDB.open({ path: dir });
    process.env['EVENTDB_TEST_WORKER_DIES_ON'] = 'worker-dies-here';
    let failure: unknown;
    try {
      await db.ingestFile(file, { workers: 2, batchSize: 100 });
    } catch (err) {
      failure = err;
    } finally {
      delete process.env['EVENTDB_TEST_WORKER_DIES_ON'];
    }
    expect(isEventDBError(failure, 'WORKER_FAILED'), String(failure)).toBe(true);
    expect((failure as Error).message).toContain('from record 401');
    // The worker died in the fifth chunk (records 401-500): the four chunks before it are committed, whole, and
    // nothing from that chunk or after it.
    expect(db.stats()).toMatchObject({ events: 400, records: 400 });
    expect(ids.slice(0, 400).filter((id) => db.getEvent(id) === undefined)).toEqual([]);
    expect(ids.slice(400).filter((id) => db.getEvent(id) !== undefined)).toEqual([]);
    expect(ids.slice(0, 400).map((id) => db.getEvent(id)?.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));

    const rerun = await db.ingestFile(file, { workers: 2, batchSize: 100 });
    expect(rerun).toMatchObject({ accepted: 200, duplicates: 400, rejected: 0 });
    // Every record once: 600 in the log, each eventId at its own seq, in file order.
    expect(db.stats()).toMatchObject({ events: 600, records: 600 });
    expect(ids.map((id) => db.getEvent(id)?.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(db.getEvent(ids[450]!)?.eventName).toBe('view-worker-dies-here');
    expect((await db.verify()).ok).toBe(true);
    await db.close();
  });

  it.skipIf(!canMount)('refuses a read-only directory with one clear sentence', async () => {
    const dir = join(root, 'read-only-fs');
    expect(mountTmpfs(dir, 'size=1m,ro')).toBe(true);
    try {
      const err = await openError({ path: dir });
      expect(isEventDBError(err, 'INVALID_OPTIONS'), String(err)).toBe(true);
      expect(err.message).toMatch(/lock file cannot be created/);
    } finally {
      unmount(dir);
    }
  });

  it.skipIf(!canMount)(
    'on a full disk: WRITE_FAILED naming the cause, reads show what committed, later writes refused, close resolves, committed data intact',
    async () => {
      const dir = join(root, 'full-disk');
      expect(mountTmpfs(dir, 'size=3m')).toBe(true);
      try {
        const path = join(dir, 'store');
        const db = await EventDB.open({ path, mapSizeBytes: 2 ** 20 });
        let committed = 0;
        let calls = 0;
        let failure: unknown;
        for (; calls < 200 && failure === undefined; calls++) {
          // Each call's first event links a profileId and a userId of its own, both first seen in it.
          const batch = events(200, 300);
          batch[0] = { ...batch[0], profileId: `p-call-${calls}`, userId: `u-call-${calls}` };
          try {
            committed += (await db.ingestBatch(batch)).accepted;
          } catch (err) {
            failure = err;
          }
        }
        expect(isEventDBError(failure, 'WRITE_FAILED'), String(failure)).toBe(true);
        expect(committed).toBeGreaterThan(0);
        await expect(db.ingest(events(1)[0])).rejects.toMatchObject({ code: 'WRITE_FAILED' });
        // Reads see what committed, not what the failed call had folded into the writer's memory: its ids and link
        // are unknown.
        const failed = calls - 1;
        expect(db.getProfile({ userId: `u-call-${failed}` })).toBeUndefined();
        expect(db.getProfile({ profileId: `p-call-${failed}` })).toBeUndefined();
        expect(db.getProfile({ profileId: `p-call-${failed - 1}` })?.userId).toBe(`u-call-${failed - 1}`);
        const users = Array.from({ length: failed }, (_, call) => db.getProfile({ userId: `u-call-${call}` })?.eventCount ?? 0);
        const profiles = Array.from({ length: 50 }, (_, p) => db.getProfile({ profileId: `p${p}` })?.eventCount ?? 0);
        expect([...users, ...profiles].reduce((sum, count) => sum + count, 0)).toBe(committed);
        await db.close();
        const again = await EventDB.open({ path });
        expect(again.stats().events).toBe(committed);
        expect((await again.verify()).ok).toBe(true);
        await again.close();
      } finally {
        unmount(dir);
      }
    },
    60_000,
  );
});
