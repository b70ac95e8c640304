// Derived values written since the last checkpoint: in the writer's memory until a checkpoint writes them to LMDB.

/** The value of a removed key, until a checkpoint removes it from LMDB too. */
export const REMOVED: unique symbol = Symbol('removed');

/**
 * Keys written since the last checkpoint → their newest value (or REMOVED): what LMDB does not hold yet. One
 * value per key, which the writer may change in place. That is safe because a write call's stage and its commit
 * run synchronously, with no read in between: whenever a read runs, every value here is committed (a call whose
 * commit fails makes the writer rebuild its memory from what is committed; see BatchWriter). A read-only handle
 * holds here exactly its fold of the log up to its read's position.
 */
export class KeyWindow<V = unknown> {
  private map = new Map<string, V | typeof REMOVED>();

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | typeof REMOVED | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V | typeof REMOVED): void {
    this.map.set(key, value);
  }

  /** The values for a checkpoint being staged (written in its transaction); the window starts anew. */
  take(): Map<string, V | typeof REMOVED> {
    const taken = this.map;
    this.map = new Map();
    return taken;
  }

  entries(): Iterable<[string, V | typeof REMOVED]> {
    return this.map.entries();
  }

  clear(): void {
    this.map = new Map();
  }
}
