// Fences: the first key of each block of a sorted run, ascending, kept in memory to find a key's block.

/** The index of the last fence at or before `key` (-1: before the first), by binary search. */
export function lastAtOrBefore<T extends string | bigint>(fences: ArrayLike<T>, key: T): number {
  let lo = 0;
  let hi = fences.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fences[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
