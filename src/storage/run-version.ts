// What the index runs and the dedupe runs share: the version entry (how many runs were appended and how many merges,
// and repairs, replaced runs; every lookup reads it in its own snapshot and reloads what changed), and the merge
// policy.

import type { Database } from 'lmdb';
import { issued } from './issued.js';

export interface RunVersion {
  appends: number;
  merges: number;
}

/** Key 0 of a run directory: no checkpoint is at position 0. */
export const VERSION_KEY = 0;

/** The version as the current snapshot (or the transaction being staged) holds it; none stored reads as nothing done. */
export function readRunVersion(directory: Database<Buffer, number>): RunVersion {
  const bytes = directory.getBinaryFast(VERSION_KEY);
  return bytes === undefined ? { appends: 0, merges: 0 } : { appends: bytes.readUInt32BE(0), merges: bytes.readUInt32BE(4) };
}

/** Issues the version `[appends u32][merges u32]` with the transaction being staged. */
export function putRunVersion(directory: Database<Buffer, number>, version: RunVersion): void {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeUInt32BE(version.appends >>> 0, 0);
  bytes.writeUInt32BE(version.merges >>> 0, 4);
  issued(directory.put(VERSION_KEY, bytes));
}

/** Whether two versions are the same (nothing appended or merged between them). */
export const sameRunVersion = (a: RunVersion | undefined, b: RunVersion): boolean => a !== undefined && a.appends === b.appends && a.merges === b.merges;

/**
 * The runs the next merge takes, oldest first, from `runs` oldest first: the newest runs each no larger than the
 * newer ones together, up to `limit` in all (a binary counter: about log2(checkpoints) runs, each entry rewritten
 * as often); empty when there is nothing to merge.
 */
export function mergeGroupOf<R>(runs: readonly R[], size: (run: R) => number, limit: number): R[] {
  if (runs.length < 2) return [];
  let first = runs.length - 1;
  let total = size(runs[first]!);
  while (first > 0 && size(runs[first - 1]!) <= total && total + size(runs[first - 1]!) <= limit) {
    first--;
    total += size(runs[first]!);
  }
  return runs.length - first >= 2 ? runs.slice(first) : [];
}
