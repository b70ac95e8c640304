// One writer per store: a lock file naming the process that has the store open, and a registry for this process.

import { readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errors } from '../errors.js';

const LOCK_FILE = 'eventdb.lock';

/** Store directories (real paths) open in this process. */
const openHere = new Set<string>();

interface LockOwner {
  pid: number;
  host: string;
  openedAt: string;
}

/**
 * The store's writer lock, held from open to close. LMDB itself lets several
 * processes write one environment, but each eventdb writer keeps the next
 * sequence number, Bloom filters and uncommitted projection state in memory,
 * so two writers would corrupt each other: a second open — in this process or
 * another — fails with `LOCKED` instead.
 *
 * Across processes the lock is `eventdb.lock` in the store directory, created
 * exclusively, naming the owner's pid and host. A lock left by a process that
 * no longer runs (killed, crashed) is stale and taken over. A lock from
 * another host (a shared network directory) is never taken over.
 */
export class StoreLock {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
  ) {}

  static acquire(path: string): StoreLock {
    const dir = realpathSync(path);
    if (openHere.has(dir)) throw errors.locked(path, 'it is already open in this process');
    const file = join(dir, LOCK_FILE);
    const owner: LockOwner = { pid: process.pid, host: hostname(), openedAt: new Date().toISOString() };
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(file, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(path, file, err);
        const holder = readOwner(file);
        if (holder !== undefined && isAlive(holder)) {
          throw errors.locked(path, `process ${holder.pid} on ${holder.host} has had it open since ${holder.openedAt}`);
        }
        // Stale: its process is gone. Remove it and try once more (a racing opener makes this attempt fail cleanly).
        try {
          unlinkSync(file);
        } catch {
          // Someone else removed it first.
        }
      }
    }
    openHere.add(dir);
    return new StoreLock(dir, file);
  }

  release(): void {
    openHere.delete(this.dir);
    try {
      unlinkSync(this.file);
    } catch {
      // Already gone (the directory was removed): nothing to release.
    }
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host, openedAt: String(owner.openedAt) } : undefined;
  } catch {
    // Unreadable or half-written (its writer died mid-write): treated as stale.
    return undefined;
  }
}

/** A lock is live when its process still runs on this host; a lock from another host is assumed live. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(path: string, file: string, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'EEXIST') return errors.locked(path, `another process took its lock file ${file} first`);
  return errors.invalidOptions('path', `cannot use ${path} as a store directory: its lock file cannot be created (${(err as Error).message})`);
}
