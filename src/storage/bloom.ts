// A fixed-size Bloom filter over 64-bit hashes, one per run of the dedupe set.

const BITS_LOG2 = 22;
const MASK = (1 << BITS_LOG2) - 1;
const PROBES = 7;

/**
 * 4 Mi bits (512 KiB) with 7 probes: about 0.07% false positives for a full
 * generation of 262,144 eventIds. A false positive only costs one LMDB get.
 */
export class BloomFilter {
  private readonly words = new Uint32Array(1 << (BITS_LOG2 - 5));

  /** Adds the hash whose halves are `hi` and `lo` (unsigned 32-bit). */
  add(hi: number, lo: number): void {
    let bit = lo;
    for (let i = 0; i < PROBES; i++) {
      const at = bit & MASK;
      const word = at >>> 5;
      this.words[word] = this.words[word]! | (1 << (at & 31));
      bit = (bit + hi + i) | 0;
    }
  }

  /** The filter's bits, to store beside the run it describes. */
  toBuffer(): Buffer {
    return Buffer.from(new Uint8Array(this.words.buffer, this.words.byteOffset, this.words.byteLength));
  }

  /** A filter from `toBuffer`'s bytes (copied). */
  static fromBuffer(bytes: Uint8Array): BloomFilter {
    const filter = new BloomFilter();
    new Uint8Array(filter.words.buffer).set(bytes.subarray(0, filter.words.byteLength));
    return filter;
  }

  mightContain(hi: number, lo: number): boolean {
    let bit = lo;
    for (let i = 0; i < PROBES; i++) {
      const at = bit & MASK;
      if ((this.words[at >>> 5]! & (1 << (at & 31))) === 0) return false;
      bit = (bit + hi + i) | 0;
    }
    return true;
  }
}
