// Posting chunks: sorted (time, seq) pairs packed as varint deltas read back exactly, whatever the times (the whole
// span of valid years, equal times, out-of-order seqs) and counts; chunks of the fixed layout older stores wrote read
// the same; a merge of any two gives their pairs in (time, seq) order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunk, encodeChunk, mergeChunks } from '../../src/storage/posting-chunk.js';

const TIME_BIAS = 2 ** 46;
/** Epoch ms of 0000-01-01 and of 9999-12-31: the span a record's time may take. */
const FIRST = -62_167_219_200_000;
const LAST = 253_402_300_799_999;

const pairs = fc
  .array(fc.record({ time: fc.oneof(fc.integer({ min: FIRST, max: LAST }), fc.integer({ min: 0, max: 50 })), seq: fc.integer({ min: 1, max: 2 ** 47 }) }), {
    maxLength: 300,
  })
  .map((list) => list.sort((a, b) => a.time - b.time || a.seq - b.seq));

const columns = (list: readonly { time: number; seq: number }[]): { times: number[]; seqs: number[] } => ({
  times: list.map((pair) => pair.time),
  seqs: list.map((pair) => pair.seq),
});

/** The fixed layout of stores before format 11: `[time + bias u64][seq u48]` per pair. */
function fixedChunk(list: readonly { time: number; seq: number }[]): Buffer {
  const out = Buffer.alloc(list.length * 14);
  list.forEach(({ time, seq }, i) => {
    out.writeBigUInt64BE(BigInt(time + TIME_BIAS), i * 14);
    out.writeUIntBE(seq, i * 14 + 8, 6);
  });
  return out;
}

describe('posting chunks', () => {
  it('read back every pair as written, packed or in the fixed layout', () => {
    fc.assert(
      fc.property(pairs, (list) => {
        const { times, seqs } = columns(list);
        const packed = encodeChunk(times, seqs);
        expect(decodeChunk(packed)).toEqual({ times, seqs });
        expect(decodeChunk(fixedChunk(list))).toEqual({ times, seqs });
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('merge two chunks of either layout into their pairs in (time, seq) order', () => {
    fc.assert(
      fc.property(pairs, pairs, fc.boolean(), fc.boolean(), (a, b, aFixed, bFixed) => {
        const chunkOf = (list: typeof a, fixed: boolean): Buffer => (fixed ? fixedChunk(list) : encodeChunk(columns(list).times, columns(list).seqs));
        const merged = decodeChunk(mergeChunks(chunkOf(a, aFixed), chunkOf(b, bFixed)));
        expect(merged).toEqual(columns([...a, ...b].sort((x, y) => x.time - y.time || x.seq - y.seq)));
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('take a few bytes a pair where neighbours are near in time and in the log', () => {
    const times = Array.from({ length: 1_000 }, (_, i) => Date.UTC(2026, 0, 1) + i * 60_000);
    const seqs = Array.from({ length: 1_000 }, (_, i) => 5_000_000 + i * 900 - (i % 7 === 3 ? 2_000 : 0));
    expect(encodeChunk(times, seqs).length).toBeLessThan(1_000 * 6);
  });
});
