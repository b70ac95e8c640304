// Compression dictionaries: a kilobyte of the store's own values (log records, partial states), so LZ4 finds what
// values repeat.

/**
 * Bytes of a dictionary. LZ4 loads the dictionary for every record it compresses, so its cost per put grows with
 * it: on this VM 1 KB took the log from 229 to 142 bytes per event for 3.6 µs per put, 8 KB to 132 for 16.6 µs.
 * A multiple of 8: lmdb-js uses the dictionary's length rounded down to one.
 */
export const DICTIONARY_BYTES = 1024;

/** Which parts of a store are written compressed (`EventDBOptions.compression`): the log's records, the consolidated states. */
export interface Compression {
  log: boolean;
  states: boolean;
}

/** Records the log holds before the writer samples them for a dictionary. */
export const DICTIONARY_MIN_RECORDS = 1_000;

/** Only values at least this long are compressed: shorter ones gain little, and any value may stay plain. */
export const COMPRESSION_THRESHOLD = 96;

/**
 * The first byte of a value lmdb-js compressed (`[254][length u24][LZ4 block]`). No msgpack array, codec array or
 * user state (a 4-byte length first) starts with it, so a plain value is never taken for a compressed one.
 */
export const COMPRESSED = 254;

/**
 * A dictionary of `DICTIONARY_BYTES` from the encoded records of `seqs` (the most recent, in order): whole records
 * evenly spaced among them, newest last, the first one cut at the front to fill the last bytes. LZ4 matches any
 * substring of the dictionary, so what records share — field layout, key names, URL and id prefixes, event names —
 * is found there. On the generated benchmark events a 1 KB dictionary trained by `zstd --train` on the same records did
 * 2.5% better (142.3 bytes per event against 145.9).
 */
export function sampleDictionary(seqs: readonly number[], read: (seq: number) => Buffer | undefined): Buffer | undefined {
  const picked: Buffer[] = [];
  let bytes = 0;
  const step = Math.max(1, Math.floor(seqs.length / 64));
  for (let i = seqs.length - 1; i >= 0 && bytes < DICTIONARY_BYTES; i -= step) {
    const record = read(seqs[i]!);
    if (record === undefined || record.length === 0) continue;
    picked.push(record);
    bytes += record.length;
  }
  return dictionaryOf(picked.reverse());
}

/** `DICTIONARY_BYTES` of `samples` joined, the last ones last (undefined when they are shorter). */
export function dictionaryOf(samples: readonly Buffer[]): Buffer | undefined {
  const joined = Buffer.concat(samples);
  return joined.length < DICTIONARY_BYTES ? undefined : Buffer.from(joined.subarray(joined.length - DICTIONARY_BYTES));
}
