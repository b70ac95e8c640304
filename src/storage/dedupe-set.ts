// The exact, permanent eventId dedupe set: Bloom filters in memory, hashes in LMDB, stored eventIds as the judge.

import { BloomFilter } from './bloom.js';
import { dedupeKey, generationOf, withGeneration } from './keys.js';
import type { RecordTuple } from './record-codec.js';
import { tupleEventId } from './record-codec.js';
import type { Storage } from './storage.js';

/** Where a seen eventId was found. */
export type Seen =
  | { seq: number; pending: RecordTuple }
  | { seq: number; pending: undefined };

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

/**
 * Answers "was this eventId stored before?" exactly. Per generation, a Bloom
 * filter rules out almost every new eventId without touching LMDB; a maybe is
 * settled by the dedupe tree and then by comparing the stored eventId, so a
 * hash collision can never drop an event. Records written but not yet
 * committed are held in `pending` until their commit resolves.
 */
export class DedupeSet {
  private readonly filters: BloomFilter[] = [];
  private readonly pending = new Map<string, { seq: number; tuple: RecordTuple }>();
  private readonly pendingHashes = new Set<bigint>();

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

  probe(eventId: string): Probe {
    const hash = this.hash(eventId);
    const key = dedupeKey(hash);
    return { eventId, taken: false, hash, key, hi: key.readUInt32BE(2), lo: key.readUInt32BE(6) };
  }

  /** The first record with this eventId, or undefined when it is new. */
  find(probe: Probe): Seen | undefined {
    const inFlight = this.pending.get(probe.eventId);
    if (inFlight !== undefined) return { seq: inFlight.seq, pending: inFlight.tuple };
    const stored = this.findStored(probe);
    if (stored === 'collision') probe.taken = true;
    return typeof stored === 'number' ? { seq: stored, pending: undefined } : undefined;
  }

  /** seq of the committed record with this eventId (writes in flight are not visible). */
  findCommitted(eventId: string): number | undefined {
    const stored = this.findStored(this.probe(eventId));
    return typeof stored === 'number' ? stored : undefined;
  }

  /**
   * Records `probe.eventId` (after `find` said it is new) as stored at `seq`,
   * writing its dedupe entry with the caller's batch.
   * A hash already held by another eventId goes to the collisions tree instead.
   */
  add(probe: Probe, seq: number, tuple: RecordTuple): void {
    const taken = probe.taken || this.pendingHashes.has(probe.hash);
    this.pending.set(probe.eventId, { seq, tuple });
    this.pendingHashes.add(probe.hash);
    this.filter(generationOf(seq)).add(probe.hi, probe.lo);
    if (taken) void this.storage.putCollision(probe.eventId, seq);
    else void this.storage.putDedupe(withGeneration(probe.key, generationOf(seq)), seq);
  }

  /** Forgets pending entries once their commit has resolved. */
  settle(eventIds: readonly string[], hashes: readonly bigint[]): void {
    for (const id of eventIds) this.pending.delete(id);
    for (const hash of hashes) this.pendingHashes.delete(hash);
  }

  /** seq of the stored record, 'collision' when the hash belongs to another eventId, undefined when absent. */
  private findStored(probe: Probe): number | 'collision' | undefined {
    for (let gen = this.filters.length - 1; gen >= 0; gen--) {
      if (!this.filters[gen]?.mightContain(probe.hi, probe.lo)) continue;
      const seq = this.storage.getDedupe(withGeneration(probe.key, gen));
      if (seq === undefined) continue;
      const tuple = this.storage.getRecord(seq);
      if (tuple !== undefined && tupleEventId(tuple) === probe.eventId) return seq;
      return this.storage.getCollision(probe.eventId) ?? 'collision';
    }
    return undefined;
  }

  private filter(gen: number): BloomFilter {
    while (this.filters.length <= gen) this.filters.push(new BloomFilter());
    return this.filters[gen]!;
  }
}
