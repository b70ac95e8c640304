// The in-memory part of a derived structure: the map being filled since the last checkpoint, and the maps that
// checkpoints still committing are writing to LMDB (read from memory until each lands, never from both).

export class TailLayers<K, V> {
  /** Filled by the writer since the last checkpoint. */
  current = new Map<K, V>();
  /** Set aside by checkpoints not yet known committed, oldest first. */
  private inFlight: { position: number; map: Map<K, V> }[] = [];
  /** `current` then every in-flight map, kept as one array so the writer's lookups allocate nothing. */
  private all: Map<K, V>[] = [this.current];

  /** Moves the current map aside for a checkpoint at `position` (whose writes the caller issues) and starts anew. */
  setAside(position: number): void {
    this.inFlight.push({ position, map: this.current });
    this.current = new Map();
    this.refresh();
  }

  /** The checkpoint at `position` is committed: LMDB answers for what it set aside. */
  landed(position: number): void {
    this.inFlight = this.inFlight.filter((layer) => layer.position !== position);
    this.refresh();
  }

  clear(): void {
    this.current = new Map();
    this.inFlight = [];
    this.refresh();
  }

  /** The current map, then those a snapshot at `checkpoint` cannot read from LMDB yet (every one by default). */
  layers(checkpoint = Number.NEGATIVE_INFINITY): readonly Map<K, V>[] {
    if (this.inFlight.every((layer) => layer.position > checkpoint)) return this.all;
    return [this.current, ...this.inFlight.filter((layer) => layer.position > checkpoint).map((layer) => layer.map)];
  }

  /** `layers`, asking for the snapshot's checkpoint only when a checkpoint is in flight (reading it costs a get). */
  layersAt(checkpoint: () => number): readonly Map<K, V>[] {
    return this.inFlight.length === 0 ? this.all : this.layers(checkpoint());
  }

  private refresh(): void {
    this.all = [this.current, ...this.inFlight.map((layer) => layer.map)];
  }
}
