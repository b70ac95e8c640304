// Progress of a bulk ingest: running counts, rate and ETA, reported to a callback at most every 250 ms and at the end.

/** What `onProgress` receives. */
export interface IngestProgress {
  /** Records (non-blank lines, or array elements) committed so far. */
  linesRead: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Bytes of the file behind the records committed so far (compressed bytes for gzip; to within one read of 1 MiB). */
  bytesRead: number;
  /** Size of the file on disk. */
  bytesTotal: number;
  /** Records per second since the start. */
  ratePerSec: number;
  /** Seconds left, estimated from the bytes still to read; 0 at the end. */
  etaSec: number;
  /** True on the last report, once every record is committed. */
  done: boolean;
}

export const PROGRESS_INTERVAL_MS = 250;

/** Keeps the counts and decides when to report. */
export class ProgressTracker {
  readonly counts = { linesRead: 0, accepted: 0, duplicates: 0, rejected: 0, conflicts: 0 };
  /** How far into the file the committed records reach, in bytes on disk. */
  bytesDone = 0;
  private lastReportMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly startedMs: number,
    private readonly bytesTotal: number,
    private readonly onProgress: ((progress: IngestProgress) => void) | undefined,
  ) {}

  /** Reports when 250 ms have passed since the last report (the first batch reports at once), or when `done`. */
  maybeReport(done = false): void {
    if (this.onProgress === undefined) return;
    const now = performance.now();
    if (!done && now - this.lastReportMs < PROGRESS_INTERVAL_MS) return;
    this.lastReportMs = now;
    this.onProgress(this.snapshot(now, done));
  }

  elapsedMs(): number {
    return performance.now() - this.startedMs;
  }

  private snapshot(now: number, done: boolean): IngestProgress {
    const elapsedSec = Math.max((now - this.startedMs) / 1000, 1e-3);
    const bytesRead = done ? this.bytesTotal : Math.min(this.bytesDone, this.bytesTotal);
    const left = this.bytesTotal - bytesRead;
    const etaSec = done || bytesRead === 0 ? 0 : (elapsedSec * left) / bytesRead;
    const { linesRead, accepted, duplicates, rejected } = this.counts;
    return {
      linesRead,
      accepted,
      duplicates,
      rejected,
      bytesRead,
      bytesTotal: this.bytesTotal,
      ratePerSec: Math.round(linesRead / elapsedSec),
      etaSec: Math.round(etaSec * 10) / 10,
      done,
    };
  }
}
