// One writer per store: a second open of the same directory, in this process or another, fails with LOCKED.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, isEventDBError } from '../../src/index.js';
import { StoreLock } from '../../src/storage/store-lock.js';
import { nodeArgs } from '../helpers/child-build.js';

const CHILD = join(import.meta.dirname, 'hold-open-child.ts');
const RACER = join(import.meta.dirname, 'lock-race-child.ts');
const RACERS = 8;
const ROUNDS = 50;
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

function lockOwner(path: string): { pid: number; host: string; token: string } {
  return JSON.parse(readFileSync(join(path, 'eventdb.lock'), 'utf8')) as { pid: number; host: string; token: string };
}

/** The files of the lock scheme in `path`: the lock, temporary files, takeover guards. */
function lockFiles(path: string): string[] {
  return readdirSync(path)
    .filter((f) => f.startsWith('eventdb.lock'))
    .sort();
}

/** A pid that no process has: a child that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

/** Writes a lock file as a process `pid` of this host would have; returns its text. */
function plantLock(file: string, pid: number, extra: Record<string, unknown> = { token: 'planted' }): string {
  const text = `${JSON.stringify({ pid, host: hostname(), ...extra, openedAt: '2026-01-01T00:00:00.000Z' })}\n`;
  writeFileSync(file, text);
  return text;
}

/** The name of the takeover guard for a stale lock file whose text is `text` (as store-lock.ts names it). */
function guardFor(file: string, text: string): string {
  return `${file}.${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
}

/** A child process holding the store open; resolves once it has opened it. */
async function holdOpen(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs(CHILD), path], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    expect(lockOwner(dir).pid).toBe(process.pid);
    await db.close();
    expect(existsSync(join(dir, 'eventdb.lock'))).toBe(false);
  });

  it('lets another process open the store after a clean close', async () => {
    const child = await holdOpen(dir);
    child.stdin!.end();
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'eventdb.lock'))).toBe(false);
    const db = await EventDB.open({ path: dir });
    expect(lockOwner(dir).pid).toBe(process.pid);
    await db.close();
    const reader = await EventDB.open({ path: dir, readOnly: true });
    expect(lockFiles(dir)).toEqual([]);
    await reader.close();
  });

  it('releases the lock when the process exits without closing the store', async () => {
    const child = spawn(process.execPath, [...nodeArgs(CHILD), dir, 'exit'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out).toContain('open');
    expect(readdirSync(dir).filter((f) => f.startsWith('eventdb.lock'))).toEqual([]);
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
    expect(
      reader
        .events({ userId: 'u1' })
        .toArray()
        .map((e) => e.eventId),
    ).toEqual(['w1', 'w2']);
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
    await a.ingest({ eventId: 'a1', profileId: 'p1', sessionId: 's1', eventName: 'view', timestamp: '2026-01-01T00:00:00Z' });
    expect(b.getEvent('a1')).toBeUndefined();
    expect(a.getEvent('a1')?.eventId).toBe('a1');
    await Promise.all([a.close(), b.close()]);
  });
});

describe('stale lock takeover', () => {
  it('takes over a lock left by a dead process, also one written by an older version (no token)', () => {
    for (const extra of [{ token: 'old' }, {}]) {
      plantLock(join(dir, 'eventdb.lock'), deadPid(), extra);
      const lock = StoreLock.acquire(dir);
      expect(lockOwner(dir).pid).toBe(process.pid);
      expect(lockFiles(dir)).toEqual(['eventdb.lock']);
      lock.release();
      expect(lockFiles(dir)).toEqual([]);
    }
  });

  it('never takes over an unreadable lock file (the scheme never shows a half-written one): LOCKED, file untouched', async () => {
    writeFileSync(join(dir, 'eventdb.lock'), '{"pid": 12');
    await expectLocked(dir, /cannot be read; if no process has the store open, delete that file/);
    expect(readFileSync(join(dir, 'eventdb.lock'), 'utf8')).toBe('{"pid": 12');
    expect(lockFiles(dir)).toEqual(['eventdb.lock']);
  });

  it('waits out a takeover under way (a live guard) without touching the lock, then finishes one whose taker died', async () => {
    const file = join(dir, 'eventdb.lock');
    const stale = plantLock(file, deadPid());
    const taker = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const guard = guardFor(file, stale);
      plantLock(guard, taker.pid!);
      await expectLocked(dir, /taking over its lock file/);
      expect(readFileSync(file, 'utf8')).toBe(stale);
      expect(existsSync(guard)).toBe(true);
      taker.kill('SIGKILL');
      await once(taker, 'exit');
      // The taker died holding the guard: the guard is stale too, removed under a guard of its own.
      const db = await EventDB.open({ path: dir });
      expect(lockOwner(dir).pid).toBe(process.pid);
      expect(lockFiles(dir)).toEqual(['eventdb.lock']);
      await db.close();
    } finally {
      taker.kill('SIGKILL');
    }
  });

  it('treats a lock of this pid written before this process started as stale, and one of this process as live', () => {
    const file = join(dir, 'eventdb.lock');
    const started = Date.now() - process.uptime() * 1000;
    plantLock(file, process.pid, { token: 'earlier', processStartedAt: started - 60_000 });
    const lock = StoreLock.acquire(dir);
    expect(lockOwner(dir).token).not.toBe('earlier');
    lock.release();
    // Another thread of this process (its own registry) would have written this one.
    const live = plantLock(file, process.pid, { token: 'thread', processStartedAt: started });
    expect(() => StoreLock.acquire(dir)).toThrow(/LOCKED|open by another writer/);
    expect(readFileSync(file, 'utf8')).toBe(live);
  });
});

/** Long-lived racer processes, driven a line at a time. */
class Racers {
  private readonly children: ChildProcess[] = [];
  private readonly readers: Interface[] = [];
  private readonly queues: string[][] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, [...nodeArgs(RACER)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const reader = createInterface({ input: child.stdout });
      this.queues.push([]);
      reader.on('line', (line) => {
        this.queues[i]!.push(line);
        this.waiters.splice(0).forEach((wake) => wake());
      });
      child.on('exit', () => this.waiters.splice(0).forEach((wake) => wake()));
      this.children.push(child);
      this.readers.push(reader);
    }
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  /** Sends `line` to every racer and returns each one's answer, in racer order. */
  async all(line: string): Promise<string[]> {
    for (const child of this.children) child.stdin!.write(`${line}\n`);
    for (;;) {
      if (this.queues.every((q) => q.length > 0)) return this.queues.map((q) => q.shift()!);
      const dead = this.children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead !== undefined) throw new Error(`racer ${dead.pid} exited (${dead.exitCode ?? dead.signalCode})`);
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  /** One race: all try to lock `path` at the same instant (spinning on the clock); returns the answers. */
  race(path: string, mode: 'lock' | 'open' = 'lock'): Promise<string[]> {
    return this.all(`go ${performance.timeOrigin + performance.now() + 40} ${mode} ${path}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin!.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await once(child, 'exit');
        clearTimeout(timer);
      }),
    );
  }
}

/** Checks one race: exactly one winner, every other racer refused with LOCKED, the lock file naming the winner. */
function expectOneWinner(racers: Racers, answers: string[], round: number): void {
  const winners = answers.flatMap((a, i) => (a === 'won' ? [i] : []));
  expect(
    answers.filter((a) => a !== 'won' && !a.startsWith('locked ')),
    `round ${round}: unexpected answers`,
  ).toEqual([]);
  expect(winners.length, `round ${round}: ${winners.length} racers won (${answers.map((a) => a.split(' ')[0]).join(', ')})`).toBe(1);
  expect(lockOwner(dir).pid, `round ${round}: the lock file does not name the winner`).toBe(racers.pids[winners[0]!]);
}

describe(`${RACERS} processes racing for the writer lock`, () => {
  // Spawned once for the three tests: starting 8 TypeScript processes costs more than all the rounds.
  let racers: Racers;
  beforeAll(() => {
    racers = new Racers(RACERS);
  });
  afterAll(() => racers.stop());

  it(`${ROUNDS} rounds on a free store, then ${ROUNDS / 2} on a stale lock: exactly one wins each round`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      expectOneWinner(racers, await racers.race(dir), round);
      await racers.all('release');
      expect(lockFiles(dir), `round ${round}: files left after release`).toEqual([]);
    }
    // Every racer finds the same stale lock: one takes it over, none removes the winner's live lock.
    const dead = deadPid();
    for (let round = 0; round < ROUNDS / 2; round++) {
      plantLock(join(dir, 'eventdb.lock'), dead, { token: `stale-${round}` });
      expectOneWinner(racers, await racers.race(dir), round);
      expect(lockFiles(dir), `stale round ${round}: files left beside the lock`).toEqual(['eventdb.lock']);
      await racers.all('release');
      expect(lockFiles(dir)).toEqual([]);
    }
  });

  it('never removes a live lock: racers beside a process holding the store all get LOCKED, the lock untouched', async () => {
    const holder = await holdOpen(dir);
    try {
      const before = readFileSync(join(dir, 'eventdb.lock'), 'utf8');
      for (let round = 0; round < 5; round++) {
        const answers = await racers.race(dir);
        expect(
          answers.every((a) => a.startsWith(`locked `) && a.includes(`process ${holder.pid} on `)),
          answers.join(' | '),
        ).toBe(true);
        expect(readFileSync(join(dir, 'eventdb.lock'), 'utf8')).toBe(before);
      }
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
  });

  it('with EventDB.open: exactly one of the racers opens the store each round', async () => {
    for (let round = 0; round < 5; round++) {
      expectOneWinner(racers, await racers.race(dir, 'open'), round);
      await racers.all('release');
    }
  });
});
