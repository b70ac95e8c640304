// The exact, permanent eventId dedupe set: Bloom filters in memory, hashes in LMDB, stored eventIds as the judge.

import { BloomFilter } from './bloom.js';
import { dedupeKey, generationOf, withGeneration } from './keys.js';
import type { RecordTuple } from './record-codec.js';
import { tupleEventId } from './record-codec.js';
import type { Storage } from './storage.js';

/** Where a seen eventId was found: in a write not yet committed (with its tuple), or in the log. */
export interface Seen {
  seq: number;
  pending: RecordTuple | undefined;
}

/** One eventId being looked up, and then added when new. */
export interface Probe {
  eventId: string;
  /** Set by `find`: the hash is held by another eventId. */
  taken: boolean;
  hash: bigint;
  key: Buffer;
  hi: number;
  lo: number;
}

/** A write not yet committed. Entries whose hashes collide are chained (astronomically rare). */
interface PendingEntry {
  eventId: string;
  seq: number;
  tuple: RecordTuple;
  hash: bigint;
  next: PendingEntry | undefined;
}

/** The entries a batch added, to forget once its commit resolves. */
export type PendingBatch = PendingEntry[];

/**
 * Answers "was this eventId stored before?" exactly. Per generation, a Bloom
 * filter rules out almost every new eventId without touching LMDB; a maybe is
 * settled by the dedupe tree and then by comparing the stored eventId, so a
 * hash collision can never drop an event. Records written but not yet
 * committed are held per batch until their commit resolves.
 */
export class DedupeSet {
  private readonly filters: BloomFilter[] = [];
  /** Written, not yet committed, by hash: one map for all batches in flight, so a lookup costs the same with 1 or 1,000 callers. */
  private readonly pending = new Map<bigint, PendingEntry>();
  private readonly scratch: Probe = { eventId: '', taken: false, hash: 0n, key: dedupeKey(0n), hi: 0, lo: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly hash: (eventId: string) => bigint,
  ) {}

  /** Fills the filters from the dedupe tree (at open). */
  load(): void {
    for (const key of this.storage.dedupeKeys()) {
      this.filter(key.readUInt16BE(0)).add(key.readUInt32BE(2), key.readUInt32BE(6));
    }
  }

  beginBatch(): PendingBatch {
    return [];
  }

  /** Forgets a batch's pending entries once its commit has resolved (or failed). */
  settle(batch: PendingBatch): void {
    for (const entry of batch) {
      const head = this.pending.get(entry.hash);
      if (head === entry && entry.next === undefined) this.pending.delete(entry.hash);
      else if (head !== undefined) this.unchain(head, entry);
    }
  }

  private unchain(head: PendingEntry, entry: PendingEntry): void {
    if (head === entry) {
      this.pending.set(entry.hash, entry.next!);
      return;
    }
    for (let at = head; at.next !== undefined; at = at.next) {
      if (at.next === entry) {
        at.next = entry.next;
        return;
      }
    }
  }

  /** Prepares a lookup. The probe and its key buffer are reused: use one probe at a time. */
  probe(eventId: string): Probe {
    const probe = this.scratch;
    const hash = this.hash(eventId);
    probe.key.writeBigUInt64BE(hash, 2);
    probe.eventId = eventId;
    probe.hash = hash;
    probe.taken = false;
    probe.hi = probe.key.readUInt32BE(2);
    probe.lo = probe.key.readUInt32BE(6);
    return probe;
  }

  /** The first record with this eventId, or undefined when it is new. */
  find(probe: Probe): Seen | undefined {
    for (let entry = this.pending.get(probe.hash); entry !== undefined; entry = entry.next) {
      if (entry.eventId === probe.eventId) return { seq: entry.seq, pending: entry.tuple };
      probe.taken = true;
    }
    const stored = this.findStored(probe);
    if (stored === 'collision') probe.taken = true;
    return typeof stored === 'object' ? { seq: stored.seq, pending: undefined } : undefined;
  }

  /** The committed record with this eventId and its seq (writes in flight are not visible). */
  findCommitted(eventId: string): { seq: number; tuple: RecordTuple } | undefined {
    const stored = this.findStored(this.probe(eventId));
    return typeof stored === 'object' ? stored : undefined;
  }

  /**
   * Records `probe.eventId` (after `find` said it is new) as stored at `seq`,
   * writing its dedupe entry with the caller's batch. A hash already held by
   * another eventId goes to the collisions tree instead.
   */
  add(probe: Probe, seq: number, tuple: RecordTuple, batch: PendingBatch): void {
    const entry: PendingEntry = { eventId: probe.eventId, seq, tuple, hash: probe.hash, next: this.pending.get(probe.hash) };
    this.pending.set(probe.hash, entry);
    batch.push(entry);
    const taken = probe.taken;
    this.filter(generationOf(seq)).add(probe.hi, probe.lo);
    if (taken) this.storage.putCollision(probe.eventId, seq);
    else this.storage.putDedupe(withGeneration(probe.key, generationOf(seq)), seq);
  }

  /** The stored record and its seq, 'collision' when the hash belongs to another eventId, undefined when absent. */
  private findStored(probe: Probe): { seq: number; tuple: RecordTuple } | 'collision' | undefined {
    // Read-only beside a writer, the filters (built at open) would miss what the writer adds since: ask every generation.
    const generations = this.storage.readOnly ? generationOf(this.storage.lastSeq()) + 1 : this.filters.length;
    for (let gen = generations - 1; gen >= 0; gen--) {
      if (!this.storage.readOnly && !this.filters[gen]!.mightContain(probe.hi, probe.lo)) continue;
      const seq = this.storage.getDedupe(withGeneration(probe.key, gen));
      if (seq === undefined) continue;
      const tuple = this.storage.getRecord(seq);
      if (tuple !== undefined && tupleEventId(tuple) === probe.eventId) return { seq, tuple };
      const collided = this.storage.getCollision(probe.eventId);
      const collidedTuple = collided === undefined ? undefined : this.storage.getRecord(collided);
      return collided !== undefined && collidedTuple !== undefined ? { seq: collided, tuple: collidedTuple } : 'collision';
    }
    return undefined;
  }

  private filter(gen: number): BloomFilter {
    while (this.filters.length <= gen) this.filters.push(new BloomFilter());
    return this.filters[gen]!;
  }
}
