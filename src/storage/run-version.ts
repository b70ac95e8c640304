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
 * The runs the next merge takes, oldest first, from `runs` oldest first: from the newest run back, the first run
 * that has an older neighbour no larger than it, with each older run no larger than the ones after it in the group
 * together, up to `limit` in all (a binary counter: about log2(checkpoints) runs, each entry rewritten as often);
 * empty when there is nothing to merge. A small newest run (a checkpoint at close, or an idle one) does not hold back
 * the merge of the larger runs before it.
 */
export function mergeGroupOf<R>(runs: readonly R[], size: (run: R) => number, limit: number): R[] {
  for (let last = runs.length - 1; last > 0; last--) {
    let first = last;
    let total = size(runs[first]!);
    while (first > 0 && size(runs[first - 1]!) <= total && total + size(runs[first - 1]!) <= limit) {
      first--;
      total += size(runs[first]!);
    }
    if (first < last) return runs.slice(first, last + 1);
  }
  return [];
}
