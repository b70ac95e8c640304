// Key layouts of the catalog index: [partition][field][value]\0[price][id], sortable as bytes.

/** Complete entries and incomplete ones (made by payloads only) are indexed apart: queries read complete ones by default. */
export const Partition = { complete: 1, incomplete: 2 } as const;
export type PartitionCode = (typeof Partition)[keyof typeof Partition];

/** The indexed fields; `all` (value '') holds every entry of a partition. */
export const IndexedField = { all: 0, category: 1, brand: 2, tag: 3, availability: 4 } as const;
export type IndexedFieldName = keyof typeof IndexedField;
export type IndexedFieldCode = (typeof IndexedField)[IndexedFieldName];

/** Bytes of the price part of a key. */
export const PRICE_BYTES = 8;
/** Entries without a price sort after every price. */
const NO_PRICE = Buffer.alloc(PRICE_BYTES, 0xff);

/**
 * The prefix of one index: partition, field and value, then a 0x00
 * terminator. Values never contain NUL (validation rejects it), so keys of
 * one prefix are contiguous and ordered by (price, id).
 */
export function indexPrefix(partition: PartitionCode, field: IndexedFieldCode, value: string): Buffer {
  const text = Buffer.from(value, 'utf8');
  const prefix = Buffer.allocUnsafe(text.length + 3);
  prefix[0] = partition;
  prefix[1] = field;
  text.copy(prefix, 2);
  prefix[prefix.length - 1] = 0;
  return prefix;
}

/**
 * A position inside an index: the price as a big-endian float64 (non-negative
 * doubles sort like their bits; no price sorts last), then the id. The id has
 * no terminator: it ends the key.
 */
export function positionOf(price: number | undefined, id: string): Buffer {
  const position = Buffer.allocUnsafe(PRICE_BYTES + Buffer.byteLength(id, 'utf8'));
  writePrice(position, price);
  position.write(id, PRICE_BYTES, 'utf8');
  return position;
}

/** The first position at or above a price (`undefined`: no bound, the lowest position). */
export function priceFloor(price: number | undefined): Buffer {
  const position = Buffer.alloc(PRICE_BYTES);
  if (price !== undefined) position.writeDoubleBE(Math.max(price, 0), 0);
  return position;
}

/** The first position above every position with this price (`undefined`: above every priced entry and every unpriced one). */
export function priceCeiling(price: number | undefined): Buffer {
  if (price === undefined) return Buffer.alloc(PRICE_BYTES + 1, 0xff);
  // 0xff never occurs in UTF-8, so it sorts above every id at this price.
  const position = Buffer.alloc(PRICE_BYTES + 1, 0xff);
  position.writeDoubleBE(price, 0);
  return position;
}

/** The smallest position after `position` (ids never contain NUL). */
export function successor(position: Buffer): Buffer {
  return Buffer.concat([position, Buffer.from([0])]);
}

function writePrice(target: Buffer, price: number | undefined): void {
  if (price === undefined) NO_PRICE.copy(target, 0);
  else target.writeDoubleBE(price, 0);
}

/** The id at the end of a position. */
export function idOfPosition(position: Buffer): string {
  return position.toString('utf8', PRICE_BYTES);
}

/** The key of a count: partition, field and value. */
export function countKey(partition: PartitionCode, field: IndexedFieldCode, value: string): string {
  return `${partition}${field}${value}`;
}
