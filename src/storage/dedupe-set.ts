// The exact, permanent eventId dedupe set: every eventId since the last checkpoint in memory, sorted runs in LMDB
// before it, stored eventIds as the judge.

import type { RecordTuple } from './record-codec.js';
import { tupleEventId } from './record-codec.js';
import type { Storage } from './storage.js';
import { DedupeTail } from './dedupe-tail.js';
import { TailLayers } from './tail-layers.js';

/**
 * Where a seen eventId is stored: its record's seq in the log, and the record when the lookup read it (one found in
 * the runs, confirmed by its eventId). A record of the call being staged is read back in its transaction.
 */
export interface Seen {
  seq: number;
  tuple: RecordTuple | undefined;
}

/** One eventId being looked up, and then added when new. */
export interface Probe {
  eventId: string;
  /** Set by `find`: the hash is held by another eventId. */
  taken: boolean;
  hash: bigint;
  hi: number;
  lo: number;
}

/**
 * Answers "was this eventId stored before?" exactly. Every eventId since the last checkpoint is in memory and
 * never evicted; older ones are in the runs, each behind its Bloom filter, and a hash found there is confirmed
 * by comparing the stored record's eventId, so a hash collision can never drop an event.
 */
export class DedupeSet {
  /**
   * Entries since the last checkpoint, and those of checkpoints still committing: each eventId stored there as its
   * hash and seq, nothing of the record (a hash found is confirmed by the stored record's eventId, read back in the
   * call's own transaction when the record is the call's). Tables whose checkpoint landed are kept for reuse
   * (`spare`, declared first: the layers take a table as they are made).
   */
  private readonly spare: DedupeTail[] = [];
  private readonly tail = new TailLayers(
    () => this.spare.pop()?.reset() ?? new DedupeTail(),
    (landed) => this.spare.push(landed),
  );
  private readonly scratch: Probe = { eventId: '', taken: false, hash: 0n, hi: 0, lo: 0 };
  private readonly halves = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly storage: Storage,
    private readonly hash: (eventId: string) => bigint,
  ) {}

  /** Reads the runs' filters (at open). */
  load(): void {
    this.storage.dedupeRuns.load();
  }

  /** Entries held in memory, for the checkpoint policy's memory cap. */
  get overlaySize(): number {
    return this.tail.current.size;
  }

  /** Prepares a lookup. The probe is reused: use one probe at a time. */
  probe(eventId: string): Probe {
    const probe = this.scratch;
    const hash = this.hash(eventId);
    probe.eventId = eventId;
    probe.hash = hash;
    probe.taken = false;
    // The halves through a view of 8 bytes: no BigInt shifted, no pair allocated.
    this.halves.setBigUint64(0, hash);
    probe.hi = this.halves.getUint32(0);
    probe.lo = this.halves.getUint32(4);
    return probe;
  }

  /** The first record with this eventId (committed or not), or undefined when it is new. */
  find(probe: Probe): Seen | undefined {
    for (const table of this.tail.layers()) {
      const found = this.findInTail(table, probe, Number.POSITIVE_INFINITY);
      if (found !== undefined) return found;
    }
    return this.findInRuns(probe);
  }

  /**
   * The committed record with this eventId, as a snapshot holding the log up to `position` and the checkpoint
   * `checkpoint()` returns sees it (asked only while a checkpoint is in flight).
   */
  findCommitted(eventId: string, position: number, checkpoint: () => number): { seq: number; tuple: RecordTuple } | undefined {
    const probe = this.probe(eventId);
    for (const table of this.tail.layersAt(checkpoint)) {
      const found = this.findInTail(table, probe, position);
      if (found !== undefined) return found;
    }
    return this.findInRuns(probe);
  }

  /**
   * The entry of `probe.eventId` in one layer, at most at `position`, with its record (read to confirm the eventId,
   * which the table does not keep); a hash held by another eventId sets `probe.taken`.
   */
  private findInTail(table: DedupeTail, probe: Probe, position: number): { seq: number; tuple: RecordTuple } | undefined {
    const { hi, lo } = probe;
    for (let slot = table.first(hi, lo); slot >= 0; slot = table.next(slot, hi, lo)) {
      const seq = table.seqAt(slot);
      if (seq > position) continue;
      const tuple = this.storage.getRecord(seq);
      if (tuple !== undefined && tupleEventId(tuple) === probe.eventId) return { seq, tuple };
      probe.taken = true;
    }
    return undefined;
  }

  /** The stored record in the runs (or the collisions tree), setting `probe.taken` when another eventId holds the hash. */
  private findInRuns(probe: Probe): { seq: number; tuple: RecordTuple } | undefined {
    const seq = this.storage.dedupeRuns.find(probe.hi, probe.lo);
    if (seq === undefined) return probe.taken ? this.findCollision(probe) : undefined;
    const tuple = this.storage.getRecord(seq);
    if (tuple !== undefined && tupleEventId(tuple) === probe.eventId) return { seq, tuple };
    probe.taken = true;
    return this.findCollision(probe);
  }

  private findCollision(probe: Probe): { seq: number; tuple: RecordTuple } | undefined {
    const seq = this.storage.getCollision(probe.eventId);
    const tuple = seq === undefined ? undefined : this.storage.getRecord(seq);
    return seq !== undefined && tuple !== undefined ? { seq, tuple } : undefined;
  }

  /**
   * Records `probe.eventId` (after `find` said it is new) as stored at `seq`. A hash already held by another
   * eventId also goes to the collisions tree, in the transaction being staged.
   */
  add(probe: Probe, seq: number): void {
    this.tail.current.add(probe.hi, probe.lo, seq, probe.taken);
    if (probe.taken) this.storage.putCollision(probe.eventId, seq);
  }

  /**
   * Adds a committed record replayed from the log after the checkpoint (recovery, a read-only follower), without a
   * lookup: its eventId is new there by construction, and `collided` (it is in the collisions tree) says whether
   * another eventId held its hash when it was written.
   */
  addReplayed(eventId: string, seq: number, collided: boolean): void {
    this.insert(this.hash(eventId), seq, collided);
  }

  /** Adds an entry of a format-1 store's dedupe tree (upgrade). */
  addLegacy(hash: bigint, seq: number): void {
    this.insert(hash, seq, false);
  }

  private insert(hash: bigint, seq: number, collided: boolean): void {
    this.halves.setBigUint64(0, hash);
    this.tail.current.add(this.halves.getUint32(0), this.halves.getUint32(4), seq, collided);
  }

  /** Issues the in-memory entries as a run at `position` with the transaction being staged. */
  writeCheckpoint(position: number): void {
    this.storage.dedupeRuns.writeColumns(position, ...this.tail.current.columns());
    this.tail.setAside(position);
  }

  /** The checkpoint at `position` is committed: its entries are read from the runs from now on. */
  pruneCheckpointed(position: number): void {
    this.tail.landed(position);
  }

  /** Drops the in-memory entries and re-reads the runs (a read-only follower whose writer checkpointed). */
  reset(): void {
    this.tail.clear();
    this.storage.dedupeRuns.load();
  }

  /** Entries stored (runs and memory, collisions excepted), for verify. */
  get entryCount(): number {
    let count = this.storage.dedupeRuns.size;
    for (const table of this.tail.layers()) count += table.runCount;
    return count;
  }
}
