// Size limits on what one record (and one call) may carry: configurable, with safe defaults, enforced with codes.

/** Limits on input. Every record over one is rejected with a code naming it; a call over `maxBatchSize` throws. */
export interface Limits {
  /**
   * Approximate JSON size of one record: the characters of its strings and keys, 8 per number, 4 per literal
   * (default 1,048,576). Counted while validating, without serialising the record.
   */
  maxRecordSize: number;
  /** Nesting depth of `data` and attribute values (default 32). */
  maxDepth: number;
  /** Keys of one object, or items of one array, inside `data` and attribute values (default 10,000). */
  maxKeys: number;
  /** Characters of one string inside `data` and attribute values (default 65,536; identifiers stop at 256). */
  maxStringLength: number;
  /** Attributes one update may name across `set`, `setOnce` and `unset` (default 1,000). */
  maxAttributesPerUpdate: number;
  /** Records of one `ingestBatch` call or one `ingestFile` chunk (default 100,000). */
  maxBatchSize: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxRecordSize: 1_048_576,
  maxDepth: 32,
  maxKeys: 10_000,
  maxStringLength: 65_536,
  maxAttributesPerUpdate: 1_000,
  maxBatchSize: 100_000,
});
