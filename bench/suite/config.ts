// How big each workload is in each mode: `tiny` for the test that checks every scenario runs, `quick` (< 2 min), `full` (< 20 min).

export type Mode = 'tiny' | 'quick' | 'full';

export interface SuiteConfig {
  mode: Mode;
  /** Sizes of the default ingest workload (batches of 10,000, projections, no duplicates, durable). */
  ingestSizes: number[];
  /** Events per batch-size variant; batches of 1 are awaited one commit at a time, so they get fewer. */
  batchSizes: { batchSize: number; events: number }[];
  /** Events for the duplicate, relaxed-durability and core-only variants. */
  variantEvents: number;
  /** One store grown to this size to see the cost per event as it grows (0: taken from the largest default run). */
  growthEvents: number;
  /**
   * Events a writer child ingests into the largest store (and the grown one) before it is killed with SIGKILL, to time
   * the open that replays those after its last checkpoint and read the writer's RssAnon: in the full run nine
   * checkpoints' worth (the default checkpoint is 50,000 records) and then just under a tenth, so the writer has been
   * writing for a while and the open replays 49,000 records.
   */
  recoveryTail: number;
  concurrentEvents: number;
  fileEvents: number;
  workers: number[];
  /** Events of the one heavy profile whose events are scanned in full. */
  heavyProfileEvents: number;
  /** ms of samples per read workload. */
  readTime: number;
  catalogItems: number;
  /** UCI Online Retail lines (the year has 541,909; the in-repo slice 2,000). */
  uciLines: number;
  /**
   * Read the full UCI set from ../shared/realdata when it is there (else the in-repo slice, saying so); false: always
   * the slice in test/fixtures/realdata, so the test never reads outside the repository.
   */
  uciFullSet: boolean;
  /** Events of the profiled ingest (0: no profile). */
  profileEvents: number;
  /** Runs of each small job (the median is reported). */
  runs: number;
  /**
   * Runs of the short measurements whose one figure is a target, 1,000 concurrent `ingest()` (each engine) and the
   * open after SIGKILL: the median is reported, so one disturbance of the shared VM does not decide it.
   */
  repeats: number;
  /** Also time the export into a ClickHouse started for the run, when clickhouse-server is installed. */
  clickhouse: boolean;
}

export const CONFIGS: Record<Mode, SuiteConfig> = {
  tiny: {
    mode: 'tiny',
    ingestSizes: [600],
    batchSizes: [
      { batchSize: 1, events: 20 },
      { batchSize: 100, events: 300 },
    ],
    variantEvents: 300,
    growthEvents: 0,
    recoveryTail: 300,
    concurrentEvents: 200,
    fileEvents: 400,
    workers: [1, 2],
    heavyProfileEvents: 150,
    readTime: 20,
    catalogItems: 200,
    uciLines: 500,
    uciFullSet: false,
    profileEvents: 0,
    runs: 1,
    repeats: 2,
    clickhouse: false,
  },
  quick: {
    mode: 'quick',
    ingestSizes: [100_000],
    batchSizes: [
      { batchSize: 1, events: 1_000 },
      { batchSize: 100, events: 20_000 },
      { batchSize: 1_000, events: 20_000 },
    ],
    variantEvents: 20_000,
    growthEvents: 0,
    recoveryTail: 20_000,
    concurrentEvents: 20_000,
    fileEvents: 20_000,
    workers: [1, 2, 4],
    heavyProfileEvents: 10_000,
    readTime: 300,
    catalogItems: 10_000,
    uciLines: 50_000,
    uciFullSet: true,
    profileEvents: 30_000,
    runs: 1,
    repeats: 3,
    clickhouse: true,
  },
  full: {
    mode: 'full',
    ingestSizes: [100_000, 1_000_000],
    batchSizes: [
      { batchSize: 1, events: 5_000 },
      { batchSize: 100, events: 100_000 },
      { batchSize: 1_000, events: 100_000 },
    ],
    variantEvents: 100_000,
    growthEvents: 0,
    recoveryTail: 499_000,
    concurrentEvents: 100_000,
    fileEvents: 200_000,
    workers: [1, 2, 4],
    heavyProfileEvents: 100_000,
    readTime: 1_000,
    catalogItems: 100_000,
    uciLines: 541_909,
    uciFullSet: true,
    profileEvents: 200_000,
    runs: 1,
    repeats: 3,
    clickhouse: true,
  },
};
