// Catalog entries fed by product payloads: each data field merged by latest (time, eventId).

import type { JsonObject, JsonValue } from '../schema/json-value.js';

/** One field's value and the write that set it. */
interface FieldVersion {
  value: JsonValue;
  time: number;
  eventId: string;
}

/** A catalog entry as stored: per-field versions, so merges do not depend on arrival order. */
export interface StoredProductEntry {
  id: string;
  fields: Record<string, FieldVersion>;
}

/** A catalog entry as `catalog.get` returns it. */
export interface ProductEntry {
  id: string;
  /** The merged payload data: for each field, the value of the latest (timestamp, eventId) write. */
  data: JsonObject;
  /** ISO-8601 time of the latest write that changed a field. */
  updatedAt: string;
}

/** True when write a is later than write b: by time, then by eventId. */
export function isLater(aTime: number, aEventId: string, bTime: number, bEventId: string): boolean {
  return aTime > bTime || (aTime === bTime && aEventId > bEventId);
}

/**
 * Merges a payload's data into an entry and returns the new entry, or
 * undefined when no field changes (a late-arriving older write).
 */
export function mergePayload(
  current: StoredProductEntry | undefined,
  productId: string,
  data: JsonObject,
  time: number,
  eventId: string,
): StoredProductEntry | undefined {
  const fields = Object.assign(Object.create(null) as Record<string, FieldVersion>, current?.fields);
  let changed = current === undefined;
  for (const [key, value] of Object.entries(data)) {
    const existing = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (existing === undefined || isLater(time, eventId, existing.time, existing.eventId)) {
      setOwn(fields, key, { value, time, eventId });
      changed = true;
    }
  }
  return changed ? { id: productId, fields } : undefined;
}

export function toProductEntry(stored: StoredProductEntry): ProductEntry {
  const data: JsonObject = {};
  let updated = Number.NEGATIVE_INFINITY;
  for (const [key, version] of Object.entries(stored.fields)) {
    setOwn(data, key, version.value);
    updated = Math.max(updated, version.time);
  }
  return { id: stored.id, data, updatedAt: new Date(Number.isFinite(updated) ? updated : 0).toISOString() };
}

/** Sets an own property, even one named `__proto__`, without touching any prototype. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
