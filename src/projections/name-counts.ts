// Behavioural events per eventName, kept as one flat array sorted by name: [name, count, name, count, …].

import { emptyRecord, setOwn } from './attributes.js';
import { SHORT } from './sorted-set.js';

/**
 * Counts per eventName as `[name, count, …]`, names in code-unit order. It is how the codec writes them, so a
 * decoded state holds the array msgpack returned; merging two is one pass; and no object grows one key at a time
 * (names differ from one profile to the next, and each order of keys gave V8 a new object shape: building them was
 * a fifth of a `getProfile`).
 */
export type NameCounts = (string | number)[];

/** The slot of `name` in `counts`, or where it belongs (an even index). */
function slotOf(counts: NameCounts, name: string): number {
  let lo = 0;
  let hi = counts.length >>> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((counts[mid * 2] as string) < name) lo = mid + 1;
    else hi = mid;
  }
  return lo * 2;
}

/** `counts` with `by` added to the count of `name`: in place (the writer's own partial), or new from empty (see insertSorted). */
export function addNameCount(counts: NameCounts, name: string, by: number): NameCounts {
  if (counts.length === 0) return [name, by];
  const at = slotOf(counts, name);
  if (counts[at] === name) counts[at + 1] = (counts[at + 1] as number) + by;
  else if (counts.length < 2 * SHORT) return counts.slice(0, at).concat(name, by, counts.slice(at));
  else counts.splice(at, 0, name, by);
  return counts;
}

/** A new array with the counts of both (neither is changed: either may be the writer's). */
export function mergedNameCounts(a: NameCounts, b: NameCounts): NameCounts {
  const out: NameCounts = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as string;
    const y = b[j] as string;
    if (x < y) {
      out.push(x, a[i + 1]!);
      i += 2;
    } else if (y < x) {
      out.push(y, b[j + 1]!);
      j += 2;
    } else {
      out.push(x, (a[i + 1] as number) + (b[j + 1] as number));
      i += 2;
      j += 2;
    }
  }
  for (; i < a.length; i += 2) out.push(a[i]!, a[i + 1]!);
  for (; j < b.length; j += 2) out.push(b[j]!, b[j + 1]!);
  return out;
}

/**
 * Counts as stored: sorted as they are since this array existed, in the order a record's keys were added before
 * (stores of format 3 to 7), or a record (format 2). Sorted here once when they are not.
 */
export function storedNameCounts(stored: unknown): NameCounts {
  const flat: NameCounts = Array.isArray(stored) ? (stored as NameCounts) : Object.entries(stored as Record<string, number>).flat();
  for (let i = 2; i < flat.length; i += 2) {
    if ((flat[i - 2] as string) >= (flat[i] as string)) return sortedPairs(flat);
  }
  return flat;
}

function sortedPairs(flat: NameCounts): NameCounts {
  const pairs: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1] as number]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs.flat();
}

/** The counts as a plain object, names in order (what `Profile.eventCounts` shows). */
export function nameCountsRecord(counts: NameCounts): Record<string, number> {
  const out = emptyRecord<number>();
  for (let i = 0; i < counts.length; i += 2) setOwn(out, counts[i] as string, counts[i + 1] as number);
  return out;
}
