// When the writer writes a checkpoint: after enough records, enough time, or enough entries held in memory.

import type { CheckpointPolicy } from '../options.js';

export class CheckpointSchedule {
  private records = 0;
  private lastAt: number;

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
    if (this.records === 0) return false;
    return this.records >= this.policy.records || entriesInMemory >= this.policy.maxEntries || this.clock() - this.lastAt >= this.policy.intervalMs;
  }

  written(): void {
    this.records = 0;
    this.lastAt = this.clock();
  }
}
