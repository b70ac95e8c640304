// The inputs of the benchmark suite: generated events in chunks (never more than a chunk in memory for 10M), NDJSON files, catalog feeds.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { generateEvents } from '../../src/demo/dataset.js';

/** One generated event (the baseline generator's shape, see src/demo/dataset.ts). */
export interface BenchEvent {
  eventId: string;
  profileId: string;
  sessionId: string;
  eventName: string;
  timestamp: string;
  userId?: string;
  accountId?: string;
  data: Record<string, unknown>;
}

export interface EventSetOptions {
  seed?: number;
  /** Fraction of records that are exact re-sends of an earlier record of the same chunk. */
  duplicateFraction?: number;
}

/** Events per generated chunk: large sets are generated, used and dropped chunk by chunk. */
export const CHUNK = 1_000_000;

/**
 * `n` events as chunks. Chunk k is `generateEvents` with seed `seed + k` and a start time after the previous
 * chunk's events, so a set of any size is the same for every engine and every run.
 */
export function* eventChunks(n: number, options: EventSetOptions = {}): Generator<BenchEvent[]> {
  const seed = options.seed ?? 42;
  for (let done = 0, k = 0; done < n; done += CHUNK, k++) {
    const size = Math.min(CHUNK, n - done);
    yield generateEvents(size, {
      seed: seed + k,
      startMs: Date.UTC(2024, 0, 1) + done * 20,
      duplicateFraction: options.duplicateFraction ?? 0,
    }) as unknown as BenchEvent[];
  }
}

/**
 * An event set that can be iterated more than once: kept in memory when it is at most one chunk,
 * regenerated on each pass when larger (jobs iterate it through `JobTimer.chunks`, which keeps generating
 * out of their time).
 */
export class EventSet implements Iterable<BenchEvent[]> {
  private readonly cached: BenchEvent[][] | undefined;

  constructor(
    readonly n: number,
    readonly options: EventSetOptions = {},
  ) {
    this.cached = n <= CHUNK ? [...eventChunks(n, options)] : undefined;
  }

  [Symbol.iterator](): Iterator<BenchEvent[]> {
    return (this.cached ?? eventChunks(this.n, this.options))[Symbol.iterator]();
  }

  /** The whole set as one array (only for sets of one chunk). */
  get all(): BenchEvent[] {
    if (this.cached === undefined || this.cached.length !== 1) throw new Error(`event set of ${this.n} is not held in memory`);
    return this.cached[0]!;
  }
}

/** The owner eventdb files an event under: its userId when present, else its profileId. */
export function profileKey(event: BenchEvent): string {
  return event.userId !== undefined ? `u:${event.userId}` : `p:${event.profileId}`;
}

/** Writes the events as an NDJSON file (with backpressure); resolves with its size in bytes. */
export async function writeNdjson(path: string, events: Iterable<BenchEvent[]>): Promise<number> {
  const out = createWriteStream(path);
  for (const chunk of events) {
    for (let i = 0; i < chunk.length; i += 10_000) {
      const text = `${chunk
        .slice(i, i + 10_000)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`;
      if (!out.write(text)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'close');
  return out.bytesWritten;
}
