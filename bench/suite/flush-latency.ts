// The disk's flush latency where the run writes: what every durable commit waits for (eventdb's and SQLite's).

import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Milliseconds per flush: the median and the 90th percentile of the samples. */
export interface FlushLatency {
  medianMs: number;
  p90Ms: number;
  samples: number;
}

/**
 * Writes 4 KiB and waits for `fdatasync`, `samples` times, in a file of its own under `dir` (removed after): the
 * wait of one small durable commit. On a shared VM it moves by several times between runs, which the concurrent
 * rows (one flush per 1,000 events, or per event for SQLite) feel directly.
 */
export function flushLatency(dir: string, samples = 50): FlushLatency {
  const file = join(dir, 'flush-probe');
  const block = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      writeSync(fd, block, 0, block.length, (i % 16) * block.length);
      fdatasyncSync(fd);
      times.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => round2(times[Math.min(times.length - 1, Math.floor(q * times.length))]!);
  return { medianMs: at(0.5), p90Ms: at(0.9), samples };
}

const round2 = (ms: number): number => Math.round(ms * 100) / 100;
