// A key's postings as one stored chunk: (time, seq) pairs in (time, seq) order, delta-encoded as varints.

/** Event times are stored biased by 2^46 ms (years 0000–9999 with room to spare), so they are never negative. */
const TIME_BIAS = 2 ** 46;
const TWO_32 = 2 ** 32;
/** A pair of the fixed layout stores before format 11 wrote: `[time + bias u64][seq u48]`. */
const FIXED_PAIR_BYTES = 14;
/**
 * The first byte of a packed chunk. A fixed-layout chunk starts with the top byte of a biased time, which is 0 for
 * every time below 2^56 - 2^46 ms, so the two never meet.
 */
const PACKED = 1;
/** The most bytes one varint of a safe integer takes. */
const MAX_VARINT = 8;

/** Where chunks are encoded before they are copied out at their size (grown when a chunk needs more). */
let scratch = Buffer.allocUnsafeSlow(4096);

/**
 * Sorted pairs as a packed chunk: `[1][count][time₀ + bias][seq₀]` then, per pair, `[time − previous time]
 * [zigzag(seq − previous seq)]`, every number an unsigned LEB128 varint. Times only grow within a chunk; seqs mostly
 * do, and go back when an event arrived after a later-timed one. About 6 bytes a pair where the fixed layout took 14:
 * a key's neighbouring events are near in time and in the log.
 */
export function encodeChunk(times: readonly number[], seqs: readonly number[]): Buffer {
  const count = seqs.length;
  const most = maxChunkBytes(count);
  if (scratch.length < most) scratch = Buffer.allocUnsafeSlow(most);
  const out = scratch;
  out[0] = PACKED;
  let at = writeVarint(out, 1, count);
  if (count > 0) {
    at = writeVarint(out, at, times[0]! + TIME_BIAS);
    at = writeVarint(out, at, seqs[0]!);
  }
  for (let i = 1; i < count; i++) {
    at = writeVarint(out, at, times[i]! - times[i - 1]!);
    const step = seqs[i]! - seqs[i - 1]!;
    at = writeVarint(out, at, step >= 0 ? step * 2 : -step * 2 - 1);
  }
  const chunk = Buffer.allocUnsafe(at);
  out.copy(chunk, 0, 0, at);
  return chunk;
}

/** The most bytes a packed chunk of `count` pairs takes. */
export const maxChunkBytes = (count: number): number => 1 + MAX_VARINT * (1 + 2 * count);

/**
 * The first `length` numbers of `pairs`, sorted pairs held flat `[time, seq, time, seq, …]` (the writer's in-memory
 * postings), as a packed chunk written into `out` at `at` (room for `maxChunkBytes` of them); returns where it ends.
 */
export function writeFlatChunk(pairs: readonly number[], length: number, out: Buffer, at: number): number {
  const count = length / 2;
  out[at] = PACKED;
  at = writeVarint(out, at + 1, count);
  if (count === 0) return at;
  at = writeVarint(out, at, pairs[0]! + TIME_BIAS);
  at = writeVarint(out, at, pairs[1]!);
  for (let i = 2; i < length; i += 2) {
    at = writeVarint(out, at, pairs[i]! - pairs[i - 2]!);
    const step = pairs[i + 1]! - pairs[i - 1]!;
    at = writeVarint(out, at, step >= 0 ? step * 2 : -step * 2 - 1);
  }
  return at;
}

/** A chunk's pairs, packed or of the fixed layout, as two parallel arrays in (time, seq) order. */
export function decodeChunk(chunk: Buffer): { times: number[]; seqs: number[] } {
  if (chunk.length === 0 || chunk[0] !== PACKED) return decodeFixed(chunk);
  const reader = { at: 1 };
  const count = readVarint(chunk, reader);
  const times = new Array<number>(count);
  const seqs = new Array<number>(count);
  if (count === 0) return { times, seqs };
  let time = readVarint(chunk, reader) - TIME_BIAS;
  let seq = readVarint(chunk, reader);
  times[0] = time;
  seqs[0] = seq;
  for (let i = 1; i < count; i++) {
    time += readVarint(chunk, reader);
    const zigzag = readVarint(chunk, reader);
    seq += zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    times[i] = time;
    seqs[i] = seq;
  }
  return { times, seqs };
}

function decodeFixed(chunk: Buffer): { times: number[]; seqs: number[] } {
  const count = chunk.length / FIXED_PAIR_BYTES;
  const times = new Array<number>(count);
  const seqs = new Array<number>(count);
  for (let i = 0, at = 0; i < count; i++, at += FIXED_PAIR_BYTES) {
    times[i] = chunk.readUInt32BE(at) * TWO_32 + chunk.readUInt32BE(at + 4) - TIME_BIAS;
    seqs[i] = chunk.readUInt16BE(at + 8) * TWO_32 + chunk.readUInt32BE(at + 10);
  }
  return { times, seqs };
}

/** Two chunks' pairs merged in (time, seq) order, as one packed chunk (the runs a merge takes never share a pair). */
export function mergeChunks(a: Buffer, b: Buffer): Buffer {
  const x = decodeChunk(a);
  const y = decodeChunk(b);
  const times: number[] = [];
  const seqs: number[] = [];
  let i = 0;
  let j = 0;
  while (i < x.seqs.length || j < y.seqs.length) {
    const fromX = j >= y.seqs.length || (i < x.seqs.length && (x.times[i]! - y.times[j]! || x.seqs[i]! - y.seqs[j]!) <= 0);
    if (fromX) {
      times.push(x.times[i]!);
      seqs.push(x.seqs[i++]!);
    } else {
      times.push(y.times[j]!);
      seqs.push(y.seqs[j++]!);
    }
  }
  return encodeChunk(times, seqs);
}

function writeVarint(out: Buffer, at: number, value: number): number {
  let rest = value;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

function readVarint(chunk: Buffer, reader: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = chunk[reader.at++];
    if (byte === undefined) throw new Error('eventdb internal invariant broken: a posting chunk ends inside a number');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}
