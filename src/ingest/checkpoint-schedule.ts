// When the writer writes a checkpoint: after enough records, enough time, or enough entries held in memory, and
// once it has been idle with enough records to replay.

import type { CheckpointPolicy } from '../options.js';

export class CheckpointSchedule {
  private records = 0;
  private lastAt: number;
  /** A checkpoint is issued and not yet committed: the next is not due before it lands (its memory is not freed yet). */
  private inFlight = false;

  constructor(
    private readonly policy: CheckpointPolicy,
    private readonly clock: () => number,
  ) {
    this.lastAt = clock();
  }

  /** Whether the call being staged, which stored `records` records, should carry a checkpoint. */
  due(records: number, entriesInMemory: number, forced: boolean): boolean {
    this.records += records;
    if (forced) return true;
    if (this.records === 0 || this.inFlight) return false;
    return this.records >= this.policy.records || entriesInMemory >= this.policy.maxEntries || this.clock() - this.lastAt >= this.policy.intervalMs;
  }

  /**
   * Whether a writer that has been idle for `policy.idleMs` should write a checkpoint: at least 2% of `records`
   * wait (by default 1,000: well under a tenth of a second to replay), and none is in flight.
   */
  idleDue(): boolean {
    return !this.inFlight && this.policy.idleMs > 0 && this.records > 0 && this.records >= Math.ceil(this.policy.records / 50);
  }

  written(): void {
    this.records = 0;
    this.lastAt = this.clock();
    this.inFlight = true;
  }

  /** The checkpoint's commit resolved (or failed: the writer then refuses writes anyway). */
  landed(): void {
    this.inFlight = false;
  }
}
