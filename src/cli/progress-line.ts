// The progress display of `eventdb ingest` on stderr: one updating line on a terminal, a line every few seconds otherwise.

import type { IngestProgress } from '../index.js';
import { count } from './format.js';

/** Non-terminal output (a log file, CI) gets a line this often. */
const PLAIN_INTERVAL_MS = 5_000;

/** Renders progress reports; `end()` finishes the display. */
export interface ProgressDisplay {
  onProgress: (progress: IngestProgress) => void;
  end(): void;
}

/** A display on `stream`; `enabled: false` shows nothing. */
export function progressDisplay(stream: NodeJS.WriteStream, enabled: boolean): ProgressDisplay {
  if (!enabled) return { onProgress: () => undefined, end: () => undefined };
  let drawn = false;
  let lastPlainMs = performance.now();
  return {
    onProgress(progress) {
      if (stream.isTTY) {
        stream.write(`\r${progressLine(progress)}\u001b[K`);
        drawn = true;
      } else if (!progress.done && performance.now() - lastPlainMs >= PLAIN_INTERVAL_MS) {
        lastPlainMs = performance.now();
        stream.write(`${progressLine(progress)}\n`);
      }
    },
    end() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** `ingest  42%  1,234,567 lines  1,200,000 accepted  30,000 duplicates  4,567 rejected  52,345/s  ETA 12 s` */
export function progressLine(p: IngestProgress): string {
  const percent = p.bytesTotal === 0 ? 100 : Math.floor((100 * p.bytesRead) / p.bytesTotal);
  const eta = p.done ? 'done' : `ETA ${formatEta(p.etaSec)}`;
  return [
    `ingest ${String(percent).padStart(3)}%`,
    `${count(p.linesRead)} lines`,
    `${count(p.accepted)} accepted`,
    `${count(p.duplicates)} duplicates`,
    `${count(p.rejected)} rejected`,
    `${count(p.ratePerSec)}/s`,
    eta,
  ].join('  ');
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
