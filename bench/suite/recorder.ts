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

/** A rate in another unit than operations: `mean()` of it per operation (e.g. events per call). */
export interface PerOp {
  unit: string;
  mean: () => number;
}

/** One job of a `jobRounds` comparison. */
export interface JobTask {
  spec: RowSpec;
  job: (dir: string) => Promise<JobOutcome> | JobOutcome;
  /** Keep the directory of the last round, for the reads that follow. */
  keep?: boolean;
}

/** One operation of a `latencies` comparison. */
export interface LatencyTask {
  spec: Omit<RowSpec, 'n'>;
  op: () => unknown;
  perOp?: PerOp | undefined;
}

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
   * Times `job` on a fresh directory `runs` times (tinybench, one whole job per run) and records the median.
   * The last run's directory is kept when `keep`, for the reads that follow; the others are removed.
   */
  async job(spec: RowSpec, job: (dir: string) => Promise<JobOutcome> | JobOutcome, options: { runs?: number; keep?: boolean } = {}): Promise<JobResult> {
    const [result] = await this.jobRounds([{ spec, job, keep: options.keep }], options.runs ?? 1);
    return result!;
  }

  /**
   * Times jobs that are compared with each other (an engine and its baselines) in `rounds` interleaved rounds: each
   * round runs every job once on a fresh directory (as `job` does), in alternating order, and each row is the median
   * of its rounds. A slow minute of the shared VM then falls on every engine alike instead of on whichever ran in it.
   * A kept job keeps its last round's directory; a job's outcome is its last round's.
   */
  async jobRounds(tasks: readonly JobTask[], rounds: number): Promise<JobResult[]> {
    const times = tasks.map((): number[] => []);
    const last: { dir: string; outcome: JobOutcome }[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = tasks.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const { spec, job, keep } = tasks[i]!;
        const run = await this.timeOnce(spec.id, job, keep === true && round === rounds - 1);
        times[i]!.push(run.ms);
        last[i] = run;
        if (rounds > 1) this.log(`    round ${round + 1}/${rounds}: ${spec.engine} ${spec.id}, ${Math.round(run.ms)} ms`);
      }
    }
    return tasks.map(({ spec }, i) => {
      const { dir, outcome } = last[i]!;
      return { row: this.record(spec, median(times[i]!), outcome), dir, outcome };
    });
  }

  /** Times one run of `job` on a fresh directory (tinybench, one iteration), removed after it unless `keep`. */
  private async timeOnce(
    name: string,
    job: (dir: string) => Promise<JobOutcome> | JobOutcome,
    keep: boolean,
  ): Promise<{ ms: number; dir: string; outcome: JobOutcome }> {
    const bench = new Bench({ name, iterations: 1, time: 0, warmup: false, throws: true });
    const dir = this.fresh();
    let outcome: JobOutcome = { stored: 0 };
    bench.add(name, async () => {
      global.gc?.();
      const started = performance.now();
      outcome = await job(dir);
      return { overriddenDuration: performance.now() - started - (outcome.untimedMs ?? 0) };
    });
    await bench.run();
    const result = bench.tasks[0]!.result;
    if (result.state !== 'completed') throw new Error(`${name}: ${result.state}`);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    return { ms: result.latency.p50, dir, outcome };
  }

  /** Records a job's row, `ms` its (median) time. */
  private record(spec: RowSpec, ms: number, outcome: JobOutcome): ResultRow {
    const row: ResultRow = { unit: 'events', ...spec, ms: round(ms, 1), perSec: Math.round((spec.n / ms) * 1000), stored: outcome.stored, ratios: [] };
    this.rows.push(row);
    this.log(
      `  ${spec.engine.padEnd(8)} ${spec.workload} (${spec.n.toLocaleString('en-US')}): ${row.perSec.toLocaleString('en-US')} ${row.unit}/s, ${Math.round(ms)} ms`,
    );
    return row;
  }

  /**
   * Times one operation many times (tinybench, `time` ms of samples after a warm-up) and records its median and p99
   * latency; `n` of the row is the number of operations timed (in `spec.unit`). With `perOp`, `perSec` counts
   * `perOp.unit` (e.g. events) at `perOp.mean()` per operation, and the row keeps both units.
   */
  async latency(spec: Omit<RowSpec, 'n'>, op: () => unknown, options: { time: number; perOp?: PerOp }): Promise<ResultRow> {
    const [row] = await this.latencies([{ spec, op, perOp: options.perOp }], { time: options.time, rounds: 1 });
    return row!;
  }

  /**
   * Times operations that are compared with each other (an engine and its baselines) as `latency` does, in `rounds`
   * interleaved rounds: each round gives every operation `time / rounds` ms of samples after a short warm-up, in
   * alternating order, and each row's median and p99 are of all its rounds' samples together. A disturbance of the
   * shared VM (a neighbour's burst, the write-back of an earlier phase) then falls on every engine alike instead of
   * on whichever ran during it.
   */
  async latencies(tasks: readonly LatencyTask[], options: { time: number; rounds: number }): Promise<ResultRow[]> {
    const slice = options.time / options.rounds;
    const pooled = tasks.map(() => [] as number[]);
    for (let round = 0; round < options.rounds; round++) {
      const order = tasks.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const { spec, op } = tasks[i]!;
        // The first round warms the operation up as a lone run would; later ones only refill the caches the other
        // engines' rounds evicted.
        const first = round === 0;
        const bench = new Bench({
          name: spec.id,
          time: slice,
          // tinybench's floors (64 iterations, 16 of warm-up) shared out over the rounds, as for one run of 64.
          iterations: Math.ceil(64 / options.rounds),
          warmupTime: Math.min(first ? 200 : 50, slice / 4),
          warmupIterations: first ? 16 : 4,
          retainSamples: true,
          throws: true,
        });
        bench.add(spec.id, op);
        // As before each job: the garbage of the phases before (a whole ingest's, for the first read) is collected
        // before timing, not during the samples of whichever engine comes first. In the run before this, every
        // engine's reads had a p99 of 8 to 12 times its median, raw lmdb's get too.
        global.gc?.();
        await bench.run();
        const result = bench.tasks[0]!.result;
        if (result.state !== 'completed') throw new Error(`${spec.id}: ${result.state}`);
        // One by one: a fast read can leave 150k samples a round, which overflow the stack as spread arguments.
        for (const sample of result.latency.samples!) pooled[i]!.push(sample);
      }
    }
    return tasks.map(({ spec, perOp }, i) => {
      const samples = pooled[i]!.sort((a, b) => a - b);
      const total = samples.reduce((sum, ms) => sum + ms, 0);
      const mean = total / samples.length;
      const row: ResultRow = {
        unit: 'reads',
        ...spec,
        n: samples.length,
        ms: round(total, 1),
        perSec: Math.round((1000 / mean) * (perOp?.mean() ?? 1)),
        latencyUs: { median: round(quantile(samples, 0.5) * 1000, 2), p99: round(quantile(samples, 0.99) * 1000, 2) },
        ratios: [],
      };
      if (perOp !== undefined) {
        row.rateUnit = perOp.unit;
        row.perOp = round(perOp.mean(), 1);
      }
      this.rows.push(row);
      this.log(
        `  ${spec.engine.padEnd(8)} ${spec.workload}: median ${row.latencyUs!.median} µs, ${row.perSec.toLocaleString('en-US')} ${row.rateUnit ?? row.unit}/s`,
      );
      return row;
    });
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

/** The median of `values` (any order), as `quantile` takes it. */
export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** The `q` quantile of sorted samples, interpolated between the two nearest (as tinybench computes its percentiles). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
