// The machine-readable results of one benchmark run (bench/results.json): what the report and the chart are drawn from.

import type { ProfileSummary } from '../profile.js';

/** Who did the work: our store, or one of the baselines run in the same process. */
export type Engine = 'eventdb' | 'raw lmdb' | 'sqlite' | 'bare';

export type Group = 'ingest' | 'concurrent' | 'file' | 'read' | 'export' | 'catalog' | 'real' | 'bare';

export interface ResultRow {
  /** Stable id, e.g. `ingest/100000/b10000/projections/dup0/durable`. */
  id: string;
  group: Group;
  /** What was measured, in words, e.g. `ingestBatch, batches of 10,000, projections, 0% duplicates, durable`. */
  workload: string;
  engine: Engine;
  /** Input size: events (or items, or reads) handed to the job. */
  n: number;
  /** What `n` counts, and `perSec` too unless `rateUnit` says otherwise: 'events', 'reads', 'items', 'hashes', 'scans'... */
  unit: string;
  /** Wall time of the whole job, ms (median when it ran more than once). */
  ms: number;
  perSec: number;
  /** What `perSec` counts when it is not `unit`: a row of 64 `scans` streaming 100,000 `events` each has rate unit 'events'. */
  rateUnit?: string;
  /** Mean `rateUnit` per `unit` (events per scan), when `rateUnit` is set. */
  perOp?: number;
  /** Events (or items) the job left stored: the apples-to-apples check between engines. */
  stored?: number;
  /** Per-operation latency for read workloads, µs. */
  latencyUs?: { median: number; p99: number };
  /** Bytes on disk after the job, when measured. */
  bytesOnDisk?: number;
  /** Ratio of this row's perSec to the named baseline row's perSec in the same run (row id → ratio). */
  ratios: { to: string; engine: Engine; ratio: number }[];
}

/** Cost per event as one store grows: the time of each slice of events, measured as they are ingested. */
export interface GrowthPoint {
  engine: Engine;
  workload: string;
  /** Events stored when this slice finished. */
  events: number;
  usPerEvent: number;
}

export interface DiskPoint {
  engine: Engine;
  workload: string;
  events: number;
  bytes: number;
  bytesPerEvent: number;
}

/** A writer killed with SIGKILL after a tail of acknowledged events, and the open that recovers its store. */
export interface RecoveryPoint {
  /** Events stored when the store was reopened. */
  events: number;
  /** Events the killed writer ingested (durable) after opening the closed store. */
  tailIngested: number;
  /** Records after the last checkpoint, replayed by the open. */
  replayed: number;
  /** Wall time of `EventDB.open` in a fresh process, default settings, ms: the median of `openRunsMs` when present. */
  openMs: number;
  /** Each open's time, in the order they ran (absent in results of older runs), ms. */
  openRunsMs?: number[];
  /** RssAnon of the writing process (memory outside the LMDB map) once its tail was acknowledged and a GC run, bytes. */
  writerRssAnonBytes: number;
  /** The writer's highest RssAnon read after each batch of its tail (absent in results of older runs), bytes. */
  writerPeakRssAnonBytes?: number;
  /** The same, of a second writer run with the V8 heap cap the docs give (absent in results of older runs). */
  cappedWriter?: { nodeFlag: string; peakRssAnonBytes: number };
}

export interface Target {
  name: string;
  /** The aim, in words, e.g. `≥ 0.5× raw lmdb`. */
  aim: string;
  /** The measured figure, in words, e.g. `0.31×`. */
  measured: string;
  met: boolean;
  /** The run did not measure what the aim names (a 10M aim from a 1M run): neither met nor missed. */
  notMeasured?: boolean;
  /** What limits the figure (words only, no figures): shown beside a missed target. */
  why?: string;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  disk: string;
  versions: Record<string, string>;
}

export interface BenchResults {
  mode: 'quick' | 'full' | 'tiny';
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Machine;
  rows: ResultRow[];
  growth: GrowthPoint[];
  disk: DiskPoint[];
  /** Open after a SIGKILL and writer memory (runs before it was measured lack it). */
  recovery?: RecoveryPoint;
  profile?: ProfileSummary;
  targets: Target[];
  /** Free-form notes the run wants in the report (e.g. load average during the run). */
  notes: string[];
}
