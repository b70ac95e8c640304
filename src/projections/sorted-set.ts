// Small sets kept as sorted string arrays: compact in msgpack, and equal sets are equal arrays.

/** Where `value` is in `list`, or would be inserted. */
function lowerBound(list: readonly string[], value: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function hasSorted(list: readonly string[], value: string): boolean {
  return list[lowerBound(list, value)] === value;
}

/** Lists shorter than this are copied whole on insert, to an array of exactly their size. */
export const SHORT = 16;

/**
 * `list` with `value` in its place: a new array of exactly the new size while the list is short, else `list` itself,
 * grown in place. Most lists a writer's window holds have one or two ids, and an array grown from empty reserves room
 * for 17: the window keeps them until its checkpoint, so their spare room is what the garbage collector copies.
 */
export function insertSorted(list: string[], value: string): string[] {
  const lo = lowerBound(list, value);
  if (list[lo] === value) return list;
  if (list.length === 0) return [value];
  if (list.length < SHORT) return list.slice(0, lo).concat(value, list.slice(lo));
  // Shifted by hand: `splice` allocates the array of removed elements on every call.
  for (let i = list.length; i > lo; i--) list[i] = list[i - 1]!;
  list[lo] = value;
  return list;
}

export function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x!);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out;
}
