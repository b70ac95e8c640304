// One layer of the dedupe set's in-memory tail: the (hash, seq) of every eventId stored since a checkpoint, in an
// open-addressing table over typed arrays, so an entry is no object for the garbage collector to trace or copy.

/** A slot's mark: empty, or holding an entry that goes to the next run, or one kept in the collisions tree instead. */
const EMPTY = 0;
const RUN = 1;
const COLLIDED = 2;

/** Slots of a new table; it doubles when half full. */
const INITIAL_SLOTS = 1024;

/**
 * Entries by their hash's two unsigned halves. Entries with the same hash (different eventIds whose xxhash64
 * collide, astronomically rare; or a test's weak hash) each take a slot of their own, found by the same probe
 * sequence. A table is reset rather than replaced when its checkpoint lands (`reset`), keeping its arrays: a
 * new one's would be fresh pages, which the VM faults in again at several µs each.
 */
export class DedupeTail {
  private his!: Uint32Array;
  private los!: Uint32Array;
  private seqs!: Float64Array;
  private marks!: Uint8Array;
  private mask = 0;
  /** Entries held. */
  size = 0;
  /** Entries held that go to a run (all but the collided). */
  runCount = 0;

  constructor(slots = INITIAL_SLOTS) {
    this.allocate(slots);
  }

  /** Adds an entry; `collided`: the eventId is in the collisions tree, so no run gets it. */
  add(hi: number, lo: number, seq: number, collided: boolean): void {
    if ((this.size + 1) * 2 > this.marks.length) this.grow();
    this.place(hi, lo, seq, collided ? COLLIDED : RUN);
    this.size++;
    if (!collided) this.runCount++;
  }

  /** The first slot holding this hash, or -1; `next` gives the following ones. */
  first(hi: number, lo: number): number {
    return this.scan(this.home(hi, lo), hi, lo);
  }

  /** The next slot after `slot` holding this hash, or -1. */
  next(slot: number, hi: number, lo: number): number {
    return this.scan((slot + 1) & this.mask, hi, lo);
  }

  seqAt(slot: number): number {
    return this.seqs[slot]!;
  }

  /** The entries that go to a run (the collided ones are in the collisions tree) as three columns: hash halves, seq. */
  columns(): [his: Uint32Array, los: Uint32Array, seqs: Float64Array] {
    const count = this.runCount;
    const his = new Uint32Array(count);
    const los = new Uint32Array(count);
    const seqs = new Float64Array(count);
    for (let slot = 0, i = 0; i < count; slot++) {
      if (this.marks[slot] !== RUN) continue;
      his[i] = this.his[slot]!;
      los[i] = this.los[slot]!;
      seqs[i++] = this.seqs[slot]!;
    }
    return [his, los, seqs];
  }

  /** Empties the table, keeping its arrays for the entries of a later checkpoint. */
  reset(): this {
    this.marks.fill(EMPTY);
    this.size = 0;
    this.runCount = 0;
    return this;
  }

  private scan(from: number, hi: number, lo: number): number {
    for (let slot = from; this.marks[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      if (this.los[slot] === lo && this.his[slot] === hi) return slot;
    }
    return -1;
  }

  /** Where a hash's probe sequence starts: both halves mixed, so hashes that differ in either spread out. */
  private home(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) & this.mask;
  }

  private place(hi: number, lo: number, seq: number, mark: number): void {
    let slot = this.home(hi, lo);
    while (this.marks[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.his[slot] = hi;
    this.los[slot] = lo;
    this.seqs[slot] = seq;
    this.marks[slot] = mark;
  }

  private allocate(slots: number): void {
    this.his = new Uint32Array(slots);
    this.los = new Uint32Array(slots);
    this.seqs = new Float64Array(slots);
    this.marks = new Uint8Array(slots);
    this.mask = slots - 1;
  }

  private grow(): void {
    const { his, los, seqs, marks } = this;
    this.allocate(marks.length * 2);
    for (let slot = 0; slot < marks.length; slot++) if (marks[slot] !== EMPTY) this.place(his[slot]!, los[slot]!, seqs[slot]!, marks[slot]!);
  }
}
