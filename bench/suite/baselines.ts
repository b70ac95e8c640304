// The baselines eventdb is compared with, run in the same process: raw LMDB puts, a plain SQLite store of the same job, bare parse and hash costs.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { open, type RootDatabase } from 'lmdb';
import xxhash from 'xxhash-wasm';
import { profileKey, type BenchEvent } from './workloads.js';

export interface JobOutcome {
  /** Events the job left stored. */
  stored: number;
  /** Wall time of each slice of the input (for cost per event as the store grows). */
  slices?: { events: number; ms: number }[];
  /** Time the job spent generating its input, not counted in its duration. */
  untimedMs?: number;
}

export interface IngestJob {
  batchSize: number;
  durable: boolean;
  /** Time each `sliceSize` input events (0: no slices). */
  sliceSize?: number;
}

/**
 * Times slices of a sequential job (call `tick(done)` after each batch) and keeps the time spent generating input
 * chunks out of both the slices and the job: iterate the input through `chunks()`.
 */
export class JobTimer {
  readonly slices: { events: number; ms: number }[] = [];
  /** Time spent producing input chunks, to subtract from the job's wall time. */
  untimedMs = 0;
  private sliceStart = performance.now();
  private next: number;

  constructor(private readonly sliceSize = 0) {
    this.next = sliceSize;
  }

  *chunks<T>(input: Iterable<T>): Generator<T> {
    const iterator = input[Symbol.iterator]();
    for (;;) {
      const started = performance.now();
      const step = iterator.next();
      const spent = performance.now() - started;
      this.untimedMs += spent;
      this.sliceStart += spent;
      if (step.done === true) return;
      yield step.value;
    }
  }

  tick(done: number): void {
    if (this.sliceSize <= 0 || done < this.next) return;
    const now = performance.now();
    this.slices.push({ events: done, ms: now - this.sliceStart });
    this.sliceStart = now;
    this.next += this.sliceSize;
  }

  outcome(stored: number): JobOutcome {
    return { stored, slices: this.slices, untimedMs: this.untimedMs };
  }
}

/**
 * The floor of this design: the same records, msgpack-encoded by lmdb, `putSync` keyed by sequence in one
 * `transactionSync` per batch. Exact re-sends are skipped with an in-memory Set of eventIds, so it stores what
 * eventdb stores (dedupe for free: the floor has no dedupe tree).
 */
export async function rawLmdbIngest(events: Iterable<BenchEvent[]>, dir: string, job: IngestJob): Promise<JobOutcome> {
  const db: RootDatabase = open({ path: dir, compression: false, noSync: !job.durable });
  const seen = new Set<string>();
  const timer = new JobTimer(job.sliceSize);
  let seq = 0;
  let done = 0;
  for (const chunk of timer.chunks(events)) {
    for (let i = 0; i < chunk.length; i += job.batchSize) {
      const end = Math.min(chunk.length, i + job.batchSize);
      db.transactionSync(() => {
        for (let j = i; j < end; j++) {
          const event = chunk[j]!;
          if (seen.has(event.eventId)) continue;
          seen.add(event.eventId);
          db.putSync(++seq, event);
        }
      });
      done += end - i;
      timer.tick(done);
    }
  }
  await db.flushed;
  await db.close();
  return timer.outcome(seq);
}

export interface SqliteStore {
  db: Database.Database;
  ingest(events: readonly BenchEvent[], from: number, to: number): void;
  stored(): number;
}

/**
 * What many users would write instead: better-sqlite3 in WAL mode, synchronous FULL when durable (NORMAL when
 * relaxed), a table of events with a UNIQUE eventId and an index on (profile, time), and a profiles table upserted
 * per stored event (count, first and last seen, last event, userId); prepared statements, one transaction per batch.
 * `profiles: false` drops the upsert, for the comparison with eventdb's core path (no projections).
 */
export function openSqlite(dir: string, options: { durable: boolean; profiles: boolean }): SqliteStore {
  const db = new Database(join(dir, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durable ? 'FULL' : 'NORMAL'}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, profile TEXT NOT NULL, time INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS events_profile_time ON events (profile, time);
    CREATE TABLE IF NOT EXISTS profiles (
      profile TEXT PRIMARY KEY, events INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
      last_event TEXT NOT NULL, user_id TEXT) WITHOUT ROWID;`);
  const insert = db.prepare('INSERT OR IGNORE INTO events (event_id, profile, time, body) VALUES (?, ?, ?, ?)');
  const upsert = db.prepare(`
    INSERT INTO profiles (profile, events, first_seen, last_seen, last_event, user_id) VALUES (?, 1, ?, ?, ?, ?)
    ON CONFLICT (profile) DO UPDATE SET events = events + 1, first_seen = min(first_seen, excluded.first_seen),
      last_seen = max(last_seen, excluded.last_seen),
      last_event = CASE WHEN excluded.last_seen >= last_seen THEN excluded.last_event ELSE last_event END,
      user_id = coalesce(excluded.user_id, user_id)`);
  const count = db.prepare('SELECT count(*) AS n FROM events').pluck();
  const batch = db.transaction((events: readonly BenchEvent[], from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const event = events[i]!;
      const profile = profileKey(event);
      const time = Date.parse(event.timestamp);
      if (insert.run(event.eventId, profile, time, JSON.stringify(event)).changes === 0) continue;
      if (options.profiles) upsert.run(profile, time, time, event.eventName, event.userId ?? null);
    }
  });
  return { db, ingest: (events, from, to) => batch(events, from, to), stored: () => count.get() as number };
}

/** The SQLite store above, fed batch by batch. */
export function sqliteIngest(events: Iterable<BenchEvent[]>, dir: string, job: IngestJob & { profiles: boolean }): JobOutcome {
  const store = openSqlite(dir, job);
  const timer = new JobTimer(job.sliceSize);
  let done = 0;
  for (const chunk of timer.chunks(events)) {
    for (let i = 0; i < chunk.length; i += job.batchSize) {
      const end = Math.min(chunk.length, i + job.batchSize);
      store.ingest(chunk, i, end);
      done += end - i;
      timer.tick(done);
    }
  }
  const stored = store.stored();
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.close();
  return timer.outcome(stored);
}

/** SQLite reads of the same kinds as eventdb's: a point read by eventId (body parsed) and one profile's events by time. */
export function sqliteReads(dir: string): {
  getEvent: (eventId: string) => unknown;
  getProfile: (profile: string) => unknown;
  profileEvents: (profile: string, limit: number) => number;
  close: () => void;
} {
  const db = new Database(join(dir, 'events.db'), { readonly: true });
  const byId = db.prepare('SELECT body FROM events WHERE event_id = ?').pluck();
  const profileRow = db.prepare('SELECT * FROM profiles WHERE profile = ?');
  const byProfile = db.prepare('SELECT body FROM events WHERE profile = ? ORDER BY time LIMIT ?').pluck();
  return {
    getEvent: (eventId) => {
      const body = byId.get(eventId) as string | undefined;
      return body === undefined ? undefined : (JSON.parse(body) as unknown);
    },
    getProfile: (profile) => profileRow.get(profile),
    profileEvents: (profile, limit) => {
      let n = 0;
      for (const body of byProfile.iterate(profile, limit) as IterableIterator<string>) {
        JSON.parse(body);
        n++;
      }
      return n;
    },
    close: () => db.close(),
  };
}

/** Raw LMDB point read by sequence: the floor of any read by key. */
export function rawLmdbReads(dir: string): { get: (seq: number) => unknown; close: () => Promise<void> } {
  const db: RootDatabase = open({ path: dir, compression: false, readOnly: true });
  return { get: (seq) => db.get(seq) as unknown, close: () => db.close() };
}

/** The bare cost of JSON.parse on the same input (NDJSON lines). */
export function bareJsonParse(lines: readonly string[]): JobOutcome {
  let parsed = 0;
  for (const line of lines) if (JSON.parse(line) !== null) parsed++;
  return { stored: parsed };
}

/** The bare cost of xxhash64 of every eventId, as dedupe computes it. */
export async function bareXxhash(eventIds: readonly string[]): Promise<JobOutcome> {
  const hasher = await xxhash();
  let hashed = 0;
  const key = Buffer.alloc(8);
  for (const id of eventIds) {
    key.writeBigUInt64BE(hasher.h64(id));
    hashed++;
  }
  return { stored: hashed };
}
