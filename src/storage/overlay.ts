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
  /** (overlay, key) pairs this call wrote, to settle once it is committed. */
  readonly touched: [VersionedOverlay, string][] = [];
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

/**
 * key → newest version first. Chains are short: a committed version hides every older one, so a chain holds at
 * most one committed version plus one per write call still in flight.
 */
export class VersionedOverlay {
  private readonly heads = new Map<string, Version>();

  get size(): number {
    return this.heads.size;
  }

  /** Writes `value` (or REMOVED) for the call of `token`; a second write by the same call replaces the first. */
  set(key: string, value: unknown, token: WriteToken): void {
    const head = this.heads.get(key);
    if (head !== undefined && head.token === token) {
      head.value = value;
      return;
    }
    this.heads.set(key, { value, token, older: head });
    token.touched.push([this, key]);
  }

  /** The newest value, committed or not (the writer reads its own writes); undefined when the overlay has none. */
  latest(key: string): unknown {
    return this.heads.get(key)?.value;
  }

  /** The newest value a snapshot holding the log up to `position` may see; undefined when the overlay has none. */
  visible(key: string, position: number): unknown {
    for (let version = this.heads.get(key); version !== undefined; version = version.older) {
      if (version.token.position <= position) return version.value;
    }
    return undefined;
  }

  /** Drops the versions hidden by the newest committed one (called once a call's commit resolves). */
  settle(key: string): void {
    for (let version = this.heads.get(key); version !== undefined; version = version.older) {
      if (version.token.committed) {
        version.older = undefined;
        return;
      }
    }
  }

  /**
   * Forgets what a committed checkpoint at `position` wrote to LMDB: keys whose newest version is at or before it
   * go, and newer chains lose their versions at or before it (LMDB now answers for those).
   */
  prune(position: number): void {
    for (const [key, head] of this.heads) {
      if (head.token.position <= position) {
        this.heads.delete(key);
        continue;
      }
      for (let version = head; version.older !== undefined; version = version.older) {
        if (version.older.token.position <= position) {
          version.older = undefined;
          break;
        }
      }
    }
  }

  /** Every key's newest value visible at `position`, for a checkpoint or a merged scan. */
  *entries(position = Number.POSITIVE_INFINITY): Generator<[string, unknown]> {
    for (const key of this.heads.keys()) {
      const value = this.visible(key, position);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Every key with a version (the member index is rebuilt from them after a prune). */
  keys(): IterableIterator<string> {
    return this.heads.keys();
  }

  clear(): void {
    this.heads.clear();
  }
}

/** Marks a call's versions committed and drops what they hide. */
export function settleToken(token: WriteToken): void {
  token.committed = true;
  for (const [overlay, key] of token.touched) overlay.settle(key);
  token.touched.length = 0;
}
