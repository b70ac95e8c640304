// The dedupe set's in-memory tail table (open addressing over typed arrays): against a plain map, through growth,
// hashes shared by several entries, collided entries, and reuse after a reset.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/dataset.js';
import { DedupeTail } from '../../src/storage/dedupe-tail.js';

/** The seqs the table holds for one hash, in the order its probe sequence finds them. */
function seqsOf(table: DedupeTail, hi: number, lo: number): number[] {
  const seqs: number[] = [];
  for (let slot = table.first(hi, lo); slot >= 0; slot = table.next(slot, hi, lo)) seqs.push(table.seqAt(slot));
  return seqs;
}

describe('dedupe tail', () => {
  it('finds every entry under its hash and no other, through growth, shared hashes and a reset', () => {
    const rnd = mulberry32(7);
    const table = new DedupeTail(8);
    for (let round = 0; round < 3; round++) {
      // A small hash space (and one half fixed now and then) makes shared hashes and long probe runs.
      const expected = new Map<string, number[]>();
      const collided = new Set<number>();
      const count = 2_000 + Math.floor(rnd() * 2_000);
      for (let seq = 1; seq <= count; seq++) {
        const hi = rnd() < 0.2 ? 0 : Math.floor(rnd() * 300);
        const lo = Math.floor(rnd() * 2 ** 32);
        const small = rnd() < 0.3 ? lo % 50 : lo;
        const isCollided = rnd() < 0.05;
        table.add(hi, small, seq, isCollided);
        if (isCollided) collided.add(seq);
        const key = `${hi}:${small}`;
        expected.set(key, [...(expected.get(key) ?? []), seq]);
      }
      expect(table.size).toBe(count);
      expect(table.runCount).toBe(count - collided.size);
      for (const [key, seqs] of expected) {
        const [hi, lo] = key.split(':').map(Number) as [number, number];
        expect(seqsOf(table, hi, lo).sort((a, b) => a - b)).toEqual(seqs);
      }
      expect(seqsOf(table, 301, 12345)).toEqual([]);
      const [his, los, seqs] = table.columns();
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1).filter((seq) => !collided.has(seq)));
      for (let i = 0; i < seqs.length; i++) expect(expected.get(`${his[i]}:${los[i]}`)).toContain(seqs[i]);
      table.reset();
      expect(table.size).toBe(0);
      expect(seqsOf(table, his[0]!, los[0]!)).toEqual([]);
    }
  });
});
