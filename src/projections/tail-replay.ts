// Folds the records after the last checkpoint into the in-memory projection state: at open (recovery), and in a
// read-only handle, which follows its writer's log itself.

import { emptyCounters } from '../ingest/results.js';
import { committedToken } from '../storage/overlay.js';
import { fromTuple, toNormalized } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import type { CompiledComputed } from './computed.js';
import { Projector } from './projector.js';

/** Records folded per projector batch: the same fold-then-merge path the writer takes. */
const CHUNK = 10_000;

/**
 * Replays records `after + 1 … upTo` through the projector into the overlay, as committed state. Counters are
 * not touched: the committed totals already count these records.
 */
export function replayTail(storage: Storage, computed: readonly CompiledComputed[], placeholders: ReadonlySet<string>, after: number, upTo: number): void {
  if (upTo <= after) return;
  const projector = new Projector(storage.derived, computed, placeholders, emptyCounters());
  storage.derived.begin(committedToken(upTo));
  let batch = projector.begin();
  let folded = 0;
  for (const { key: seq, value } of storage.records(after + 1)) {
    if (seq > upTo) break;
    projector.apply(batch, toNormalized(fromTuple(seq, value)), seq);
    if (++folded % CHUNK === 0) {
      projector.flush(batch);
      batch = projector.begin();
    }
  }
  projector.flush(batch);
}

/**
 * A read-only handle's view of its writer's projections: LMDB holds them as of the writer's last checkpoint, and
 * this folds the log from there up to what each read's snapshot holds.
 */
export class TailFollower {
  private checkpoint = -1;
  private folded = 0;

  constructor(
    private readonly storage: Storage,
    private readonly computed: readonly CompiledComputed[],
    private readonly placeholders: ReadonlySet<string>,
  ) {}

  /** Brings the overlay up to `position` (the log's end in the current snapshot). */
  follow(position: number): void {
    const checkpoint = this.storage.checkpointPosition();
    if (checkpoint !== this.checkpoint || position < this.folded) {
      this.storage.derived.clearOverlay();
      this.checkpoint = checkpoint;
      this.folded = checkpoint;
    }
    if (position <= this.folded) return;
    replayTail(this.storage, this.computed, this.placeholders, this.folded, position);
    this.folded = position;
  }
}
