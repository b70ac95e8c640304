// One writer per store: a lock file naming the process that has the store open, and a registry for this process.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errors } from '../errors.js';

const LOCK_FILE = 'eventdb.lock';

/** Passes of the acquire loop before giving up with `LOCKED` (each waits at most `BUSY_WAIT_MS`). */
const MAX_ATTEMPTS = 250;
const BUSY_WAIT_MS = 2;
/** Guards of guards: each level needs one more process to have died in the middle of a takeover. */
const MAX_GUARD_DEPTH = 4;
/** Two readings of this process's start time (in two threads, say) differ by less than this. */
const START_TOLERANCE_MS = 1_000;

/** When this process started (epoch ms): a lock with our pid and an earlier start is a dead process's. */
const processStartedAt = Date.now() - process.uptime() * 1000;

/** Store directories (real paths) whose lock this process holds. */
const heldHere = new Map<string, StoreLock>();
let exitHookInstalled = false;

interface LockOwner {
  pid: number;
  host: string;
  /** Random, per acquisition: no two lock files ever have the same content. */
  token: string;
  openedAt: string;
  /** The owner process's start (epoch ms); absent in locks written by older versions. */
  processStartedAt?: number;
}

/** One reading of a lock file: its exact text, and its owner when the text parses. */
interface Reading {
  raw: string;
  owner: LockOwner | undefined;
}

/** What an attempt to remove a stale lock file did. */
type Removal = 'removed' | 'changed' | 'busy';

/**
 * The store's writer lock, held from open to close. LMDB itself lets several
 * processes write one environment, but each eventdb writer keeps the next
 * sequence number, Bloom filters and uncommitted projection state in memory,
 * so two writers would corrupt each other: a second open — in this process or
 * another — fails with `LOCKED` instead.
 *
 * Across processes the lock is `eventdb.lock` in the store directory, naming
 * the owner (pid, host, a random token, open time, process start time). The
 * scheme has two steps, each built on one atomic file-system operation:
 *
 * - **Acquire**: the full content is written to a temporary file of our own
 *   (`eventdb.lock.tmp-<token>`) and fsynced, then `link`ed to `eventdb.lock`.
 *   `link` fails with EEXIST when the name is taken, so of any number of
 *   openers exactly one gets it, and the lock file is never seen empty or
 *   half-written: its name appears with its content.
 * - **Stale takeover**: a lock whose process no longer runs (same host, pid
 *   gone, or our own pid from before this process started) is stale. Deleting
 *   it after judging it stale would race (a slow opener could delete a lock
 *   another opener has just taken), so removal goes through a guard: the
 *   opener links its temporary file to `eventdb.lock.<id>`, where `<id>` is a
 *   hash of the exact stale content it read. Only the one opener that gets
 *   that guard may remove that stale lock; it re-reads `eventdb.lock`, and
 *   deletes it only when the content is still byte-for-byte what it judged
 *   stale, then drops the guard and links its own lock as in the first step
 *   (where it may still lose to another opener: that is fine). Content never
 *   repeats (random token), so a lock that has changed since it was judged —
 *   released and retaken — is never deleted, and nobody but a guard holder
 *   deletes a lock that has not. A guard held by a live process means a
 *   takeover is under way: the opener waits briefly and looks again (usually
 *   finding the new live lock: `LOCKED` naming it). A guard left by a process
 *   that died mid-takeover is itself a stale file, removed the same way under
 *   a guard of its own (`eventdb.lock.<id>.<id2>`).
 *
 * A lock from another host (a shared network directory) is never taken over;
 * an unreadable lock file (not written by this scheme) is never taken over
 * either: the open fails with `LOCKED` saying to remove it by hand. Release
 * (on close, and on process exit) deletes the lock only while it is still
 * this acquisition's. Read-only opens take no lock.
 */
export class StoreLock {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly content: string,
  ) {}

  static acquire(path: string): StoreLock {
    const dir = realpathSync(path);
    if (heldHere.has(dir)) throw errors.locked(path, 'it is already open in this process');
    const file = join(dir, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      token: randomBytes(12).toString('hex'),
      openedAt: new Date().toISOString(),
      processStartedAt,
    };
    const content = `${JSON.stringify(owner)}\n`;
    const tmp = join(dir, `${LOCK_FILE}.tmp-${owner.token}`);
    try {
      writeSynced(tmp, content);
    } catch (err) {
      throw cannotCreate(path, err);
    }
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw errors.locked(path, `another process is taking over its lock file ${file}; try again`);
        if (tryLink(tmp, file, path)) break;
        const holder = readLock(file);
        if (holder === undefined) continue; // Released between our link and our read: link again.
        if (holder.owner === undefined) {
          throw errors.locked(path, `its lock file ${file} cannot be read; if no process has the store open, delete that file`);
        }
        if (isAlive(holder.owner)) throw errors.locked(path, describe(holder.owner));
        if (removeStale(file, holder, tmp, path, 0) === 'busy') sleep(BUSY_WAIT_MS);
      }
    } finally {
      unlinkQuietly(tmp);
    }
    const lock = new StoreLock(dir, file, content);
    heldHere.set(dir, lock);
    installExitHook();
    return lock;
  }

  /** Deletes the lock file if it is still this acquisition's; idempotent. */
  release(): void {
    if (heldHere.get(this.dir) === this) heldHere.delete(this.dir);
    if (readLock(this.file)?.raw === this.content) unlinkQuietly(this.file);
  }
}

/**
 * Removes the stale lock file `file`, read as `seen`, if it still holds
 * exactly that content — under the guard `<file>.<hash of seen>`, so that at
 * most one process at a time may delete that stale content.
 */
function removeStale(file: string, seen: Reading, tmp: string, path: string, depth: number): Removal {
  const guard = `${file}.${contentId(seen.raw)}`;
  for (let attempt = 0; !tryLink(tmp, guard, path); attempt++) {
    if (attempt >= MAX_ATTEMPTS) return 'busy';
    const holder = readLock(guard);
    if (holder === undefined) continue; // Its holder just finished: the stale lock is most likely gone.
    if (holder.owner === undefined || isAlive(holder.owner) || depth >= MAX_GUARD_DEPTH) return 'busy';
    // The guard's process died mid-takeover: its guard is stale too.
    if (removeStale(guard, holder, tmp, path, depth + 1) === 'busy') return 'busy';
  }
  try {
    const now = readLock(file);
    if (now === undefined || now.raw !== seen.raw) return 'changed';
    unlinkSync(file);
    return 'removed';
  } finally {
    unlinkQuietly(guard);
  }
}

/** Links `from` to `to`; false when `to` exists. */
function tryLink(from: string, to: string, path: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw cannotCreate(path, err);
  }
}

function readLock(file: string): Reading | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return { raw, owner: parseOwner(raw) };
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.host !== 'string') return undefined;
    const owner: LockOwner = { pid: o.pid, host: o.host, token: String(o.token ?? ''), openedAt: String(o.openedAt) };
    if (typeof o.processStartedAt === 'number') owner.processStartedAt = o.processStartedAt;
    return owner;
  } catch {
    return undefined;
  }
}

/**
 * A lock is live when its process still runs on this host; a lock from
 * another host is assumed live. Our own pid is live only when the lock was
 * written since this process started (another thread of it); before that,
 * the pid belonged to a process that has ended.
 */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) {
    return owner.processStartedAt !== undefined && Math.abs(owner.processStartedAt - processStartedAt) < START_TOLERANCE_MS;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(owner: LockOwner): string {
  return `process ${owner.pid} on ${owner.host} has had it open since ${owner.openedAt}`;
}

function contentId(raw: string): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 20);
}

/** Creates `file` exclusively with `content`, flushed to disk before it is linked anywhere. */
function writeSynced(file: string, content: string): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone (or the directory was removed): nothing to do.
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Releases the locks still held when the process exits without closing its stores. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lock of [...heldHere.values()]) lock.release();
  });
}

function cannotCreate(path: string, err: unknown): Error {
  return errors.invalidOptions('path', `cannot use ${path} as a store directory: its lock file cannot be created (${(err as Error).message})`);
}
