// Runs benchmark jobs with tinybench and records them as result rows, with ratios to baselines of the same run.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { JobOutcome } from './baselines.js';
import type { DiskPoint, Engine, GrowthPoint, Group, RecoveryPoint, ResultRow } from './results.js';

export interface RowSpec {
  id: string;
  group: Group;
  workload: string;
  engine: Engine;
  n: number;
  unit?: string;
}

export interface JobResult {
  row: ResultRow;
  /** The directory of the last run, when the job was asked to keep it. */
  dir: string;
  outcome: JobOutcome;
}

export type Log = (line: string) => void;

export class Recorder {
  readonly rows: ResultRow[] = [];
  readonly growth: GrowthPoint[] = [];
  readonly disk: DiskPoint[] = [];
  readonly notes: string[] = [];
  /** The last store killed and reopened (the grown store's, when the run grows one). */
  recovery: RecoveryPoint | undefined;
  private count = 0;

  constructor(
    readonly root: string,
    readonly log: Log,
  ) {}

  /** A new, empty directory under the run's root. */
  fresh(): string {
    const dir = join(this.root, `job-${this.count++}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Times `job` on a fresh directory `runs` times (tinybench, one whole job per iteration) and records the median.
   * The last run's directory is kept when `keep`, for the reads that follow; the others are removed.
   */
  async job(spec: RowSpec, job: (dir: string) => Promise<JobOutcome> | JobOutcome, options: { runs?: number; keep?: boolean } = {}): Promise<JobResult> {
    const runs = options.runs ?? 1;
    const bench = new Bench({ name: spec.id, iterations: runs, time: 0, warmup: false, throws: true });
    let dir = '';
    let outcome: JobOutcome = { stored: 0 };
    let iteration = 0;
    bench.add(spec.id, async () => {
      dir = this.fresh();
      global.gc?.();
      const started = performance.now();
      outcome = await job(dir);
      const overriddenDuration = performance.now() - started - (outcome.untimedMs ?? 0);
      if (!(options.keep === true && ++iteration === runs)) rmSync(dir, { recursive: true, force: true });
      return { overriddenDuration };
    });
    await bench.run();
    const result = bench.tasks[0]!.result;
    if (result.state !== 'completed') throw new Error(`${spec.id}: ${result.state}`);
    const ms = result.latency.p50;
    const row: ResultRow = { unit: 'events', ...spec, ms: round(ms, 1), perSec: Math.round((spec.n / ms) * 1000), stored: outcome.stored, ratios: [] };
    this.rows.push(row);
    this.log(
      `  ${spec.engine.padEnd(8)} ${spec.workload} (${spec.n.toLocaleString('en-US')}): ${row.perSec.toLocaleString('en-US')} ${row.unit}/s, ${Math.round(ms)} ms`,
    );
    return { row, dir, outcome };
  }

  /**
   * Times one operation many times (tinybench, `time` ms of samples after a warm-up) and records its median and p99
   * latency; `n` of the row is the number of operations timed (in `spec.unit`). With `perOp`, `perSec` counts
   * `perOp.unit` (e.g. events) at `perOp.mean()` per operation, and the row keeps both units.
   */
  async latency(spec: Omit<RowSpec, 'n'>, op: () => unknown, options: { time: number; perOp?: { unit: string; mean: () => number } }): Promise<ResultRow> {
    const bench = new Bench({ name: spec.id, time: options.time, warmupTime: Math.min(200, options.time / 4), throws: true });
    bench.add(spec.id, op);
    // As before each job: the garbage of the phases before (a whole ingest's, for the first read) is collected
    // before timing, not during the samples of whichever engine comes first. In the run before this, every
    // engine's reads had a p99 of 8 to 12 times its median, raw lmdb's get too.
    global.gc?.();
    await bench.run();
    const result = bench.tasks[0]!.result;
    if (result.state !== 'completed') throw new Error(`${spec.id}: ${result.state}`);
    const { latency } = result;
    const opsPerSec = 1000 / latency.mean;
    const row: ResultRow = {
      unit: 'reads',
      ...spec,
      n: latency.samplesCount,
      ms: round(latency.mean * latency.samplesCount, 1),
      perSec: Math.round(opsPerSec * (options.perOp?.mean() ?? 1)),
      latencyUs: { median: round(latency.p50 * 1000, 2), p99: round(latency.p99 * 1000, 2) },
      ratios: [],
    };
    if (options.perOp !== undefined) {
      row.rateUnit = options.perOp.unit;
      row.perOp = round(options.perOp.mean(), 1);
    }
    this.rows.push(row);
    this.log(
      `  ${spec.engine.padEnd(8)} ${spec.workload}: median ${row.latencyUs!.median} µs, ${row.perSec.toLocaleString('en-US')} ${row.rateUnit ?? row.unit}/s`,
    );
    return row;
  }

  /** Adds `row ÷ baseline` (of perSec) to the row's ratios. */
  ratio(row: ResultRow, baseline: ResultRow): void {
    row.ratios.push({ to: baseline.id, engine: baseline.engine, ratio: round(row.perSec / baseline.perSec, 2) });
  }

  /** Cost per event of each slice of a job, as the store grew. */
  addGrowth(engine: Engine, workload: string, slices: readonly { events: number; ms: number }[]): void {
    let previous = 0;
    for (const slice of slices) {
      this.growth.push({ engine, workload, events: slice.events, usPerEvent: round((slice.ms * 1000) / (slice.events - previous), 2) });
      previous = slice.events;
    }
  }

  addDisk(engine: Engine, workload: string, events: number, bytes: number): void {
    this.disk.push({ engine, workload, events, bytes, bytesPerEvent: Math.round(bytes / events) });
  }
}

export function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
