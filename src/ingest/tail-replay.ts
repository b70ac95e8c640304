// Folds the records after the last checkpoint into the in-memory state (projections and index postings): at
// open (recovery), and in a read-only handle, which follows its writer's log itself.

import { emptyCounters } from '../schema/results.js';
import { visitIndexKeys } from './index-keys.js';
import { fromTuple, toNormalized } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import type { DedupeSet } from '../storage/dedupe-set.js';
import type { CompiledComputed } from '../projections/computed.js';
import { Projector } from '../projections/projector.js';

/** Records folded per projector batch, as the writer folds a call: each batch keeps a map of the ids it registered. */
const CHUNK = 10_000;

export interface ReplayOptions {
  computed: readonly CompiledComputed[];
  placeholders: ReadonlySet<string>;
  /** Fold the projections (false: the core-only benchmark store keeps none). */
  projections: boolean;
  /** Add index postings (false: the projections alone, when the index is already whole). */
  index: boolean;
  /** Add dedupe entries to this set (the writer's recovery and a read-only follower; not a format-1 upgrade). */
  dedupe: DedupeSet | undefined;
}

/**
 * Replays records `after + 1 … upTo` into the in-memory windows, as committed state. Counters are not touched: the
 * committed totals already count these records.
 */
export function replayTail(storage: Storage, options: ReplayOptions, after: number, upTo: number): void {
  if (upTo <= after) return;
  const projector = new Projector(
    storage.derived,
    options.computed,
    options.placeholders,
    emptyCounters(),
    (seq) => storage.generationOf(seq),
    options.projections,
    true,
  );
  const collided = options.dedupe === undefined ? new Set<number>() : collidedSeqs(storage, after, upTo);
  let batch = projector.begin();
  let folded = 0;
  for (const { key: seq, value } of storage.records(after + 1)) {
    if (seq > upTo) break;
    const record = toNormalized(fromTuple(seq, value));
    if (options.index) visitIndexKeys(record, seq, options.placeholders, storage.index.add);
    options.dedupe?.addReplayed(record.eventId, seq, collided.has(seq));
    projector.apply(batch, record, seq);
    // A new batch now and then: its map of registered ids would otherwise grow with the whole tail.
    if (++folded % CHUNK === 0) batch = projector.begin();
  }
}

/** The records `after + 1 … upTo` whose eventId shares its hash with another's: the collisions tree (rarely any) holds them. */
function collidedSeqs(storage: Storage, after: number, upTo: number): Set<number> {
  const seqs = new Set<number>();
  for (const { value: seq } of storage.collisionEntries()) if (seq > after && seq <= upTo) seqs.add(seq);
  return seqs;
}

/**
 * A read-only handle's view of its writer's derived state: LMDB holds it as of the writer's last checkpoint, and
 * this folds the log from there up to what each read's snapshot holds.
 */
export class TailFollower {
  private checkpoint = -1;
  private folded = 0;

  constructor(
    private readonly storage: Storage,
    private readonly options: ReplayOptions,
  ) {}

  /** Brings the in-memory state up to `position` (the log's end in the current snapshot). */
  follow(position: number): void {
    const checkpoint = this.storage.checkpointPosition();
    if (checkpoint !== this.checkpoint || position < this.folded) {
      this.storage.derived.clearWindows();
      this.storage.index.clearOverlay();
      this.options.dedupe?.reset();
      this.checkpoint = checkpoint;
      this.folded = checkpoint;
    }
    if (position <= this.folded) return;
    // A checkpoint may have ended a generation early (at its position, even one it shares with the checkpoint
    // before): the records after it go to the next generation, as the writer folded them.
    this.storage.syncGenerationStarts();
    replayTail(this.storage, this.options, this.folded, position);
    this.folded = position;
  }
}
