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

/**
 * A window keyed by (kind code, id), one map per kind keyed by the id string itself: a lookup builds no key text
 * (the id's hash is kept with the string, so the other maps an id passes through hash it once). The LMDB key is
 * the kind's digit then the id; `byText` reads the window by that key.
 */
export class KindWindow<V = unknown> {
  private maps: Map<string, V | typeof REMOVED>[];

  constructor(private readonly kinds: number) {
    this.maps = KindWindow.empty(kinds);
  }

  get size(): number {
    let size = 0;
    for (const map of this.maps) size += map.size;
    return size;
  }

  get(kind: number, id: string): V | typeof REMOVED | undefined {
    return this.maps[kind]!.get(id);
  }

  set(kind: number, id: string, value: V | typeof REMOVED): void {
    this.maps[kind]!.set(id, value);
  }

  /** The values for a checkpoint being staged, by kind code (index) then id; the window starts anew. */
  take(): Map<string, V | typeof REMOVED>[] {
    const taken = this.maps;
    this.maps = KindWindow.empty(this.kinds);
    return taken;
  }

  /** The window read by LMDB key (the kind's digit, then the id). */
  get byText(): Pick<KeyWindow<V>, 'get' | 'entries'> {
    const maps = this.maps;
    return {
      get: (text) => maps[Number(text[0])]?.get(text.slice(1)),
      *entries() {
        for (let kind = 0; kind < maps.length; kind++) for (const [id, value] of maps[kind]!) yield [`${kind}${id}`, value];
      },
    };
  }

  clear(): void {
    this.maps = KindWindow.empty(this.kinds);
  }

  private static empty<V>(kinds: number): Map<string, V>[] {
    return Array.from({ length: kinds }, () => new Map<string, V>());
  }
}
