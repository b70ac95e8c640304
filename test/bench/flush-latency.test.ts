// The disk flush probe the benchmark notes before its concurrent group.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flushLatency } from '../../bench/suite/flush-latency.js';

describe('disk flush latency probe', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('times each flush, reports the median below the 90th percentile, and leaves nothing behind', () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-flush-'));
    const probe = flushLatency(dir, 20);
    expect(probe.samples).toBe(20);
    expect(probe.medianMs).toBeGreaterThan(0);
    expect(probe.p90Ms).toBeGreaterThanOrEqual(probe.medianMs);
    expect(readdirSync(dir)).toEqual([]);
  });
});
