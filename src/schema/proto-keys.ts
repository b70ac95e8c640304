// Keys named `__proto__` survive storage: msgpack decoding renames such keys (to stop prototype pollution), so
// they are stored escaped and unescaped at the API boundary.

/**
 * `__proto__` is stored as `~__proto__`, and a key that already looks escaped (`~__proto__`, `~~__proto__`…)
 * gets one more `~`, so the mapping is one-to-one. Every other key is stored as given.
 */
export function needsEscape(key: string): boolean {
  return key.endsWith('__proto__') && /^~*__proto__$/.test(key);
}

/** The stored form of a key. */
export function escapedKey(key: string): string {
  return needsEscape(key) ? `~${key}` : key;
}

/** The stored form of an escaped key back to the key as sent. */
export function unescapedKey(key: string): string {
  return key.endsWith('__proto__') && /^~+__proto__$/.test(key) ? key.slice(1) : key;
}

/** A deep copy with every key mapped by `map`; own properties only, so `__proto__` is always plain data. */
function mapKeys(value: unknown, map: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => mapKeys(item, map));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, map(key), {
      value: mapKeys((value as Record<string, unknown>)[key], map),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The stored form of a value whose keys need escaping (see `needsEscape`). */
export function escapeKeys<T>(value: T): T {
  return mapKeys(value, escapedKey) as T;
}

/** A stored value as it was sent. */
export function unescapeKeys<T>(value: T): T {
  return mapKeys(value, unescapedKey) as T;
}

/** True when a key anywhere inside `value` needs escaping (for values not walked by validation: feed items). */
export function hasEscapableKeys(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasEscapableKeys);
  if (typeof value !== 'object' || value === null) return false;
  for (const key of Object.keys(value)) {
    if (needsEscape(key) || hasEscapableKeys((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
