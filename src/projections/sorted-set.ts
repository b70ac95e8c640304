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

export function insertSorted(list: string[], value: string): void {
  const lo = lowerBound(list, value);
  if (list[lo] === value) return;
  // Shifted by hand: `splice` allocates the array of removed elements on every call.
  for (let i = list.length; i > lo; i--) list[i] = list[i - 1]!;
  list[lo] = value;
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
