// The recorder's interleaved job rounds: every job once per round, the order alternating, each row the median of its
// rounds, and only a kept job's last directory left in place.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder, type JobTask } from '../../bench/suite/recorder.js';

describe('benchmark recorder', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs compared jobs in interleaved rounds of alternating order and records the median of each', async () => {
    root = mkdtempSync(join(tmpdir(), 'eventdb-recorder-'));
    const rec = new Recorder(root, () => {});
    const calls: string[] = [];
    const dirs: Record<string, string[]> = { a: [], b: [] };
    // Job `a` takes 200, 20, 80 ms in its rounds (median 80: far from both others, however late a timer fires); `b` 5.
    const durations: Record<string, number[]> = { a: [200, 20, 80], b: [5, 5, 5] };
    const task = (name: 'a' | 'b', keep: boolean): JobTask => ({
      spec: { id: name, group: 'ingest', workload: name, engine: 'eventdb', n: 1_000 },
      job: async (dir) => {
        calls.push(name);
        dirs[name]!.push(dir);
        await new Promise((resolve) => setTimeout(resolve, durations[name]![dirs[name]!.length - 1]));
        return { stored: 1_000 };
      },
      keep,
    });
    const [a, b] = await rec.jobRounds([task('a', true), task('b', false)], 3);
    expect(calls).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    expect(a!.row.ms).toBeGreaterThanOrEqual(79);
    expect(a!.row.ms).toBeLessThan(190);
    expect(rec.rows.map((row) => row.id)).toEqual(['a', 'b']);
    expect(a!.dir).toBe(dirs['a']![2]);
    expect(dirs['a']!.map((dir) => existsSync(dir))).toEqual([false, false, true]);
    expect(dirs['b']!.some((dir) => existsSync(dir))).toBe(false);
    expect(b!.outcome.stored).toBe(1_000);
  });
});
