// What every sink shares: how it reads the log, its progress meter, and its size options.

import { errors } from '../errors.js';
import type { Change, ChangesOptions } from '../changes/change-feed.js';
import type { ExportProgress } from './export-options.js';

/** How a sink reads the log: `db.changes()` of the handle that exports. */
export type ChangeSource = (options: ChangesOptions) => AsyncIterable<Change>;

/** Counts rows and reports progress at most once a second, and once at the end. */
export class ProgressMeter {
  private readonly startMs = performance.now();
  private lastReportMs = this.startMs;
  exported = 0;
  position: string | undefined;

  constructor(private readonly onProgress: ((progress: ExportProgress) => void) | undefined) {}

  add(rows: number, position: string | undefined): void {
    this.exported += rows;
    if (position !== undefined) this.position = position;
    const now = performance.now();
    if (this.onProgress !== undefined && now - this.lastReportMs >= 1_000) {
      this.lastReportMs = now;
      this.onProgress(this.snapshot(false));
    }
  }

  end(): ExportProgress {
    const last = this.snapshot(true);
    this.onProgress?.(last);
    return last;
  }

  private snapshot(done: boolean): ExportProgress {
    const elapsedMs = performance.now() - this.startMs;
    return { exported: this.exported, position: this.position, ratePerSec: Math.round(this.exported / Math.max(elapsedMs / 1000, 1e-3)), elapsedMs, done };
  }
}

/** Checks an optional positive integer option. */
export function sizeOption(value: unknown, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw errors.invalidArgument(`options.${name}`, `must be an integer from 1 to ${max}`);
  }
  return value;
}
