// Versions of derived values written after the last checkpoint, each tagged with the log position that makes it visible.

/**
 * The writes of one write call. `position` is the last sequence number the call's transaction commits (set once
 * the call's records have their sequence numbers, before the commit); until then it is +Infinity, so no reader
 * sees the call's versions. A reader whose snapshot holds the log up to P sees exactly the versions of tokens
 * with `position <= P` — it chooses by position, never by "the last commit I heard of", because lmdb-js renews
 * its read snapshot inside the commit callback, before the writer's continuation runs.
 */
export class WriteToken {
  position = Number.POSITIVE_INFINITY;
  committed = false;
  /** Keys this call wrote, to settle once it is committed: (overlay, key) pairs, flat. */
  readonly touched: (VersionedOverlay | string)[] = [];
}

/** A token for state that is already committed (replayed from the log at open, or followed by a reader). */
export function committedToken(position: number): WriteToken {
  const token = new WriteToken();
  token.position = position;
  token.committed = true;
  return token;
}

/** The value of a removed key, until a checkpoint removes it from LMDB too. */
export const REMOVED: unique symbol = Symbol('removed');

interface Version {
  value: unknown;
  token: WriteToken;
  older: Version | undefined;
}

/** One layer's versions: key → newest version first. */
type Layer = Map<string, Version>;

/**
 * key → newest version first, in layers: the versions written since the last checkpoint was staged, then those of
 * checkpoints still committing (newest first), each dropped whole once its checkpoint is committed (LMDB then
 * answers for it). Chains are short: a committed version hides every older one, so a chain holds at most one
 * committed version plus one per write call still in flight.
 */
export class VersionedOverlay {
  private current: Layer = new Map();
  /** Layers set aside by checkpoints not yet known committed, newest first, with their positions. */
  private setAsideLayers: { position: number; layer: Layer }[] = [];

  get size(): number {
    let size = this.current.size;
    for (const { layer } of this.setAsideLayers) size += layer.size;
    return size;
  }

  /** Writes `value` (or REMOVED) for the call of `token`; a second write by the same call replaces the first. */
  set(key: string, value: unknown, token: WriteToken): void {
    const head = this.current.get(key);
    if (head !== undefined && head.token === token) {
      head.value = value;
      return;
    }
    this.current.set(key, { value, token, older: head });
    // A committed token (a replay, a follower) is never settled: nothing to remember.
    if (!token.committed) token.touched.push(this, key);
  }

  /** The newest value, committed or not (the writer reads its own writes); undefined when the overlay has none. */
  latest(key: string): unknown {
    const head = this.current.get(key);
    if (head !== undefined) return head.value;
    for (const { layer } of this.setAsideLayers) {
      const older = layer.get(key);
      if (older !== undefined) return older.value;
    }
    return undefined;
  }

  /** The newest value a snapshot holding the log up to `position` may see; undefined when the overlay has none. */
  visible(key: string, position: number): unknown {
    const found = visibleIn(this.current, key, position);
    if (found !== undefined || this.setAsideLayers.length === 0) return found;
    for (const { layer } of this.setAsideLayers) {
      const older = visibleIn(layer, key, position);
      if (older !== undefined) return older;
    }
    return undefined;
  }

  /** Drops the versions hidden by the newest committed one (called once a call's commit resolves). */
  settle(key: string): void {
    settleIn(this.current, key);
    for (const { layer } of this.setAsideLayers) settleIn(layer, key);
  }

  /**
   * The newest value of every key written since the last checkpoint was staged, for the checkpoint at `position`
   * being staged now (every call staged so far is at or before it); then sets those versions aside until that
   * checkpoint is committed (`landed`). Keys of a checkpoint still committing are not repeated: it commits first.
   */
  checkpoint(position: number): Iterable<[string, unknown]> {
    const layer = this.current;
    this.current = new Map();
    this.setAsideLayers.unshift({ position, layer });
    return newestIn(layer);
  }

  /** The checkpoint at `position` is committed: LMDB answers for the versions it set aside. */
  landed(position: number): void {
    this.setAsideLayers = this.setAsideLayers.filter((aside) => aside.position > position);
  }

  /** Every key's newest value visible at `position`, across layers (a merged scan of LMDB and the overlay). */
  *entries(position = Number.POSITIVE_INFINITY): Generator<[string, unknown]> {
    for (const key of this.keys()) {
      const value = this.visible(key, position);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Every key with a version (the member index is rebuilt from them after a checkpoint lands). */
  *keys(): Generator<string> {
    yield* this.current.keys();
    const seen = new Set<string>(this.current.keys());
    for (const { layer } of this.setAsideLayers) {
      for (const key of layer.keys()) {
        if (seen.has(key)) continue;
        seen.add(key);
        yield key;
      }
    }
  }

  clear(): void {
    this.current = new Map();
    this.setAsideLayers = [];
  }
}

function* newestIn(layer: Layer): Generator<[string, unknown]> {
  for (const [key, head] of layer) yield [key, head.value];
}

function visibleIn(layer: Layer, key: string, position: number): unknown {
  for (let version = layer.get(key); version !== undefined; version = version.older) {
    if (version.token.position <= position) return version.value;
  }
  return undefined;
}

function settleIn(layer: Layer, key: string): void {
  for (let version = layer.get(key); version !== undefined; version = version.older) {
    if (version.token.committed) {
      version.older = undefined;
      return;
    }
  }
}

/** Marks a call's versions committed and drops what they hide. */
export function settleToken(token: WriteToken): void {
  token.committed = true;
  const { touched } = token;
  for (let i = 0; i < touched.length; i += 2) (touched[i] as VersionedOverlay).settle(touched[i + 1] as string);
  touched.length = 0;
}
