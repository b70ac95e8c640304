// The in-memory part of a derived structure: the layer being filled since the last checkpoint (the dedupe tail, or the
// index's posting window), and the layers that checkpoints still committing are writing to LMDB (read from memory
// until each lands, never from both).

export class TailLayers<L> {
  /** Filled by the writer since the last checkpoint. */
  current: L;
  /** Set aside by checkpoints not yet known committed, oldest first. */
  private inFlight: { position: number; layer: L }[] = [];
  /** `current` then every in-flight layer, kept as one array so the writer's lookups allocate nothing. */
  private all: L[];

  /** `make`: a new, empty layer; `recycle` takes a layer whose checkpoint landed (nothing reads it after). */
  constructor(
    private readonly make: () => L,
    private readonly recycle?: (layer: L) => void,
  ) {
    this.current = make();
    this.all = [this.current];
  }

  /** Moves the current layer aside for a checkpoint at `position` (whose writes the caller issues) and starts anew. */
  setAside(position: number): void {
    this.inFlight.push({ position, layer: this.current });
    this.current = this.make();
    this.refresh();
  }

  /** The checkpoint at `position` is committed: LMDB answers for what it set aside. */
  landed(position: number): void {
    for (const aside of this.inFlight) if (aside.position === position) this.recycle?.(aside.layer);
    this.inFlight = this.inFlight.filter((aside) => aside.position !== position);
    this.refresh();
  }

  clear(): void {
    this.current = this.make();
    this.inFlight = [];
    this.refresh();
  }

  /** The current layer, then those a snapshot at `checkpoint` cannot read from LMDB yet (every one by default). */
  layers(checkpoint = Number.NEGATIVE_INFINITY): readonly L[] {
    // A loop, not `every`: the writer asks once per record, and a closure per call was about 95 bytes of garbage each.
    let allAhead = true;
    for (const aside of this.inFlight) if (aside.position <= checkpoint) allAhead = false;
    if (allAhead) return this.all;
    return [this.current, ...this.inFlight.filter((aside) => aside.position > checkpoint).map((aside) => aside.layer)];
  }

  /** `layers`, asking for the snapshot's checkpoint only when a checkpoint is in flight (reading it costs a get). */
  layersAt(checkpoint: () => number): readonly L[] {
    return this.inFlight.length === 0 ? this.all : this.layers(checkpoint());
  }

  private refresh(): void {
    this.all = [this.current, ...this.inFlight.map((aside) => aside.layer)];
  }
}
