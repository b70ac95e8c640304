// The unit the file readers produce and the pipeline moves: raw record texts with their positions in the file.

/**
 * Records as text, in file order, with where each came from: a 1-based line
 * number (NDJSON) or a 0-based element index (JSON array).
 */
export interface RawChunk {
  lines: string[];
  positions: number[];
}
