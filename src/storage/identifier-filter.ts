// An in-memory filter of every identifier, session and account id seen, so new ones are recognised without an LMDB read.

import { BloomFilter } from './bloom.js';
import { hashEventId } from './hash.js';

/** Ids per filter before another is added: each filter then stays near 0.07% false positives. */
const PER_FILTER = 2 ** 18;

/**
 * "Definitely new" or "maybe seen". A maybe is settled by the identifiers tree;
 * a definitely-new id also has no partial state yet, which spares that read too.
 * Rebuilt at open from the identifiers tree.
 */
export class IdentifierFilter {
  private readonly filters: BloomFilter[] = [new BloomFilter()];
  private inLast = 0;
  private readonly key = Buffer.alloc(8);
  /** The last text hashed: a lookup is usually followed by the `add` of the same id, which then hashes nothing. */
  private hashed: string | undefined;

  add(text: string): void {
    if (this.inLast >= PER_FILTER) {
      this.filters.push(new BloomFilter());
      this.inLast = 0;
    }
    this.inLast++;
    this.hash(text);
    this.filters[this.filters.length - 1]!.add(this.key.readUInt32BE(0), this.key.readUInt32BE(4));
  }

  mightContain(text: string): boolean {
    this.hash(text);
    const hi = this.key.readUInt32BE(0);
    const lo = this.key.readUInt32BE(4);
    for (const filter of this.filters) if (filter.mightContain(hi, lo)) return true;
    return false;
  }

  private hash(text: string): void {
    if (text === this.hashed) return;
    this.key.writeBigUInt64BE(hashEventId(text));
    this.hashed = text;
  }
}
