// One writer per store: a second open of the same directory, in this process or another, fails with LOCKED.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, isEventDBError } from '../../src/index.js';

const CHILD = join(import.meta.dirname, 'hold-open-child.ts');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function expectLocked(path: string, message: RegExp): Promise<void> {
  const err = await EventDB.open({ path }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isEventDBError(err, 'LOCKED'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(message);
}

/** A child process holding the store open; resolves once it has opened it. */
async function holdOpen(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes('open')) {
    if (child.exitCode !== null) throw new Error(`child exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

describe('store lock', () => {
  it('refuses a second open in the same process until the first is closed, and keeps the first usable', async () => {
    const first = await EventDB.open({ path: dir });
    await expectLocked(dir, /already open in this process/);
    await expectLocked(join(dir, '.', ''), /already open in this process/);
    await first.ingest({ eventId: 'e1', profileId: 'p1', sessionId: 's1', eventName: 'page_view', timestamp: '2026-01-01T00:00:00Z' });
    expect(first.getEvent('e1')?.eventId).toBe('e1');
    await first.close();
    expect(existsSync(join(dir, 'eventdb.lock'))).toBe(false);
    const again = await EventDB.open({ path: dir });
    expect(again.getEvent('e1')?.eventId).toBe('e1');
    await again.close();
  });

  it('refuses an open while another process has the store, and takes over the lock once that process is killed', async () => {
    const child = await holdOpen(dir);
    await expectLocked(dir, new RegExp(`process ${child.pid} on `));
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(existsSync(join(dir, 'eventdb.lock'))).toBe(true);
    const db = await EventDB.open({ path: dir });
    await db.close();
  });

  it('lets another process open the store after a clean close', async () => {
    const child = await holdOpen(dir);
    child.stdin!.end();
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'eventdb.lock'))).toBe(false);
    const db = await EventDB.open({ path: dir });
    await db.close();
  });

  it('treats an unreadable lock file (its writer died mid-write) as stale', async () => {
    writeFileSync(join(dir, 'eventdb.lock'), '{"pid": 12');
    const db = await EventDB.open({ path: dir });
    await db.close();
  });

  it('opens read-only beside a writer: sees its later commits, refuses writes with READ_ONLY', async () => {
    const writer = await EventDB.open({ path: dir });
    await writer.ingest({ eventId: 'w1', userId: 'u1', sessionId: 's1', eventName: 'login', timestamp: '2026-01-01T00:00:00Z' });
    const reader = await EventDB.open({ path: dir, readOnly: true });
    expect(reader.getEvent('w1')?.userId).toBe('u1');
    await writer.ingestBatch([
      { eventId: 'w2', userId: 'u1', sessionId: 's1', eventName: 'purchase', timestamp: '2026-01-01T00:01:00Z' },
      { eventId: 'w3', userId: 'u2', sessionId: 's2', eventName: 'login', timestamp: '2026-01-01T00:02:00Z' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reader.getEvent('w3')?.userId).toBe('u2');
    expect(reader.getProfile('u1')?.eventCount).toBe(2);
    expect(reader.events({ userId: 'u1' }).toArray().map((e) => e.eventId)).toEqual(['w1', 'w2']);
    expect(reader.stats()).toMatchObject({ events: 3, records: 3 });
    for (const attempt of [
      () => reader.ingest({ eventId: 'r1', userId: 'u3', sessionId: 's3', eventName: 'x', timestamp: '2026-01-01T00:00:00Z' }),
      () => reader.ingestBatch([]),
      () => reader.setAttributes({ userId: 'u1' }, { set: { a: 1 } }),
      () => reader.ingestFile(join(dir, 'nothing.ndjson')),
      () => reader.rebuild(),
      () => reader.quarantine.purge(),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'READ_ONLY' });
    }
    await reader.close();
    await writer.close();
  });

  it('opens read-only while another process writes, and refuses read-only where there is no store', async () => {
    const child = await holdOpen(dir);
    const reader = await EventDB.open({ path: dir, readOnly: true });
    expect(reader.stats().records).toBe(0);
    await reader.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    await expect(EventDB.open({ path: join(dir, 'nowhere'), readOnly: true })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(EventDB.open({ inMemory: true, readOnly: true })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('gives in-memory stores a lock of their own each', async () => {
    const a = await EventDB.open({ inMemory: true });
    const b = await EventDB.open({ inMemory: true });
    await Promise.all([a.close(), b.close()]);
  });
});
