// Bloom filters over 64-bit hashes: one per run of the dedupe set, sized for its entries, blocked ones for the
// dedupe set's segments (see dedupe-runs.ts), and the identifier filter.

const MAX_BITS_LOG2 = 22;
const MIN_BITS_LOG2 = 10;
const PROBES = 7;

/** The size for `entries` keys: at least 16 bits per key (about 0.05% false positives with 7 probes), at most 4 Mi bits. */
export function bloomBitsFor(entries: number): number {
  return Math.min(MAX_BITS_LOG2, Math.max(MIN_BITS_LOG2, Math.ceil(Math.log2(Math.max(1, entries) * 16))));
}

/** A filter's words as bytes, copied (to be stored). */
function bytesOf(words: Uint32Array): Buffer {
  return Buffer.from(new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
}

/** Fills a filter's words from stored bytes. */
function copyBytes(words: Uint32Array, bytes: Uint8Array): void {
  new Uint8Array(words.buffer, words.byteOffset, words.byteLength).set(bytes.subarray(0, words.byteLength));
}

/**
 * 2^bitsLog2 bits with 7 probes; the default 4 Mi bits (512 KiB) holds 262,144 keys at about 0.07% false
 * positives. A false positive only costs one LMDB read.
 */
export class BloomFilter {
  private readonly words: Uint32Array;
  private readonly mask: number;

  constructor(readonly bitsLog2 = MAX_BITS_LOG2) {
    this.words = new Uint32Array(1 << (bitsLog2 - 5));
    this.mask = (1 << bitsLog2) - 1;
  }

  /** Adds the hash whose halves are `hi` and `lo` (unsigned 32-bit). */
  add(hi: number, lo: number): void {
    let bit = lo;
    for (let i = 0; i < PROBES; i++) {
      const at = bit & this.mask;
      const word = at >>> 5;
      this.words[word] = this.words[word]! | (1 << (at & 31));
      bit = (bit + hi + i) | 0;
    }
  }

  /** The filter's bits, to store beside the run it describes. */
  toBuffer(): Buffer {
    return bytesOf(this.words);
  }

  /** A filter from `toBuffer`'s bytes (copied). */
  static fromBuffer(bytes: Uint8Array): BloomFilter {
    const filter = new BloomFilter(Math.log2(bytes.length * 8));
    copyBytes(filter.words, bytes);
    return filter;
  }

  mightContain(hi: number, lo: number): boolean {
    let bit = lo;
    for (let i = 0; i < PROBES; i++) {
      const at = bit & this.mask;
      if ((this.words[at >>> 5]! & (1 << (at & 31))) === 0) return false;
      bit = (bit + hi + i) | 0;
    }
    return true;
  }
}

/** A blocked filter's block: 512 bits, one 64-byte cache line. */
const BLOCK_WORDS_LOG2 = 4;

/**
 * A blocked Bloom filter (Putze et al. 2007): the hash's high bits pick one 512-bit block and the 7 probes fall
 * inside it, so an add or a lookup costs one cache miss instead of seven, for a slightly higher false-positive
 * rate (about 0.1% at 16 bits per key). Because the block comes from the top bits, adding hashes in sorted order
 * (a dedupe run's order) walks the bits front to back.
 */
export class BlockedBloomFilter {
  private readonly words: Uint32Array;
  /** 32 minus the bits of a block number. */
  private readonly blockShift: number;

  /** 2^bitsLog2 bits, at least two blocks; at most 2^30 (128 MiB). */
  constructor(readonly bitsLog2: number) {
    if (bitsLog2 < 10 || bitsLog2 > 30) throw new RangeError(`a blocked Bloom filter of 2^${bitsLog2} bits`);
    this.words = new Uint32Array(1 << (bitsLog2 - 5));
    this.blockShift = 32 - (bitsLog2 - 5 - BLOCK_WORDS_LOG2);
  }

  /** The bits for `keys` keys at 16 bits per key, as a power of two within the supported range. */
  static bitsLog2For(keys: number): number {
    return Math.min(30, Math.max(10, Math.ceil(Math.log2(Math.max(1, keys) * 16))));
  }

  add(hi: number, lo: number): void {
    const base = (hi >>> this.blockShift) << BLOCK_WORDS_LOG2;
    const step = (lo >>> 23) | 1;
    for (let i = 0, bit = lo; i < PROBES; i++, bit += step) {
      const word = base + ((bit >>> 5) & 15);
      this.words[word] = this.words[word]! | (1 << (bit & 31));
    }
  }

  mightContain(hi: number, lo: number): boolean {
    const base = (hi >>> this.blockShift) << BLOCK_WORDS_LOG2;
    const step = (lo >>> 23) | 1;
    for (let i = 0, bit = lo; i < PROBES; i++, bit += step) {
      if ((this.words[base + ((bit >>> 5) & 15)]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  toBuffer(): Buffer {
    return bytesOf(this.words);
  }

  /** A filter from `toBuffer`'s bytes (copied). */
  static fromBuffer(bytes: Uint8Array): BlockedBloomFilter {
    const filter = new BlockedBloomFilter(Math.log2(bytes.length * 8));
    copyBytes(filter.words, bytes);
    return filter;
  }
}
