// The version entry of a set of runs (index runs, dedupe runs): how many runs were appended and how many merges
// (and repairs) replaced runs. Every lookup reads it in its own snapshot and reloads what changed.

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
