// Many strings put in JavaScript's order while reaching each a few times, not log2(n) times: a checkpoint orders the
// ids of its window, tens of thousands of strings scattered over the heap, where reaching a string is what a
// comparison costs.

/** Ranges this short are put in order by insertion with `<`. */
const SMALL = 16;
/** Bits of a float64 that hold an integer exactly. */
const EXACT_BITS = 53;

/**
 * The indexes of `values` in JavaScript's string order (UTF-16 code units, as `<` and `Array.prototype.sort`
 * compare them), equal strings by index. A most-significant-first radix pass: past the prefix a range's strings
 * share, its next few characters and the index are packed into one float64, the range is sorted as numbers, and
 * each run of equal proxies is ordered the same way. A character from 255 up counts as 255 and ends the proxy (zeros
 * after it), a string's end counts as 0: either only ties strings the comparison may tell apart, never orders them
 * otherwise, and ties are always ordered further on, so the result is exactly the comparison's.
 */
export function stringOrder(values: readonly string[]): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  orderRange(values, order, 0, order.length, 0);
  return order;
}

/** Orders `order[start, end)`, whose strings share their first `offset` characters. */
function orderRange(values: readonly string[], order: Uint32Array, start: number, end: number, offset: number): void {
  const count = end - start;
  if (count <= SMALL) {
    insertionOrder(values, order, start, end);
    return;
  }
  const indexBits = Math.max(1, Math.ceil(Math.log2(count)));
  const chars = Math.floor((EXACT_BITS - indexBits) / 8);
  const scale = 2 ** indexBits;
  const keys = new Float64Array(count);
  const from = offset + sharedPrefix(values, order, start, end, offset);
  packProxies(values, order, start, keys, from, chars, scale);
  keys.sort();
  const taken = order.slice(start, end);
  for (let j = 0; j < count; j++) order[start + j] = taken[keys[j]! % scale]!;
  // Every string alike as far as the proxy sees (equal strings, or characters capped alike): the comparison decides.
  if (Math.floor(keys[0]! / scale) === Math.floor(keys[count - 1]! / scale)) {
    comparedOrder(values, order, start, end);
    return;
  }
  let group = 0;
  for (let j = 1; j <= count; j++) {
    if (j < count && Math.floor(keys[j]! / scale) === Math.floor(keys[group]! / scale)) continue;
    if (j - group > 1) orderRange(values, order, start + group, start + j, from);
    group = j;
  }
}

/** Writes each string's proxy (its characters from `from` on, see `stringOrder`) and position into `keys`. */
function packProxies(values: readonly string[], order: Uint32Array, start: number, keys: Float64Array, from: number, chars: number, scale: number): void {
  for (let j = 0; j < keys.length; j++) {
    const value = values[order[start + j]!]!;
    let proxy = 0;
    let capped = false;
    for (let c = from; c < from + chars; c++) {
      // Past a capped character the proxy holds zeros: two strings capped alike there tie, whatever follows.
      const code: number = capped || c >= value.length ? 0 : value.charCodeAt(c);
      capped ||= code >= 255;
      proxy = proxy * 256 + Math.min(code, 255);
    }
    keys[j] = proxy * scale + j;
  }
}

/** How many characters from `offset` on every string of the range shares. */
function sharedPrefix(values: readonly string[], order: Uint32Array, start: number, end: number, offset: number): number {
  const first = values[order[start]!]!;
  let shared = first.length - offset;
  for (let j = start + 1; j < end && shared > 0; j++) {
    const value = values[order[j]!]!;
    let k = 0;
    const most = Math.min(shared, value.length - offset);
    while (k < most && value.charCodeAt(offset + k) === first.charCodeAt(offset + k)) k++;
    shared = k;
  }
  return Math.max(0, shared);
}

function insertionOrder(values: readonly string[], order: Uint32Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const index = order[i]!;
    const value = values[index]!;
    let j = i - 1;
    while (j >= start && values[order[j]!]! > value) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = index;
  }
}

function comparedOrder(values: readonly string[], order: Uint32Array, start: number, end: number): void {
  const range = Array.from(order.subarray(start, end));
  range.sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : a - b));
  order.set(range, start);
}
