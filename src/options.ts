// EventDBOptions: every option optional, defaults frozen, validated once at open.

import { errors } from './errors.js';
import { compileComputed, type CompiledComputed, type ComputedAttribute } from './projections/computed.js';
import { DEFAULT_LIMITS, type Limits } from './schema/limits.js';
import type { Compression } from './storage/dictionary.js';

/** How long an ingest call waits before it resolves. */
export type Durability = 'durable' | 'relaxed';

/** Options of `EventDB.open`. Give `path` or `inMemory: true`. */
export interface EventDBOptions {
  /** Directory of the store; created when missing. */
  path?: string;
  /** Real LMDB on a throw-away directory, removed on close and on process exit. */
  inMemory?: boolean;
  /** Returns epoch ms wherever the store needs "now" (default `Date.now`). */
  clock?: () => number;
  /** Identifiers that identify nobody (compared trimmed, case-insensitive). */
  placeholderIds?: readonly string[];
  /**
   * `durable` (default): an ingest call resolves once its records are flushed to disk.
   * `relaxed`: it resolves once they are committed and visible; a power loss may lose
   * the last commits (never half of one).
   */
  durability?: Durability;
  /** Keep rejected records in the quarantine for inspection and re-submission (default true). */
  quarantine?: boolean;
  /** Initial LMDB map size in bytes; it grows on demand (default 1 GiB). */
  mapSizeBytes?: number;
  /**
   * Computed profile attributes, maintained incrementally, e.g.
   * `{ ltv: { op: 'sum', eventName: 'purchase', field: 'amount' } }`.
   */
  computed?: Record<string, ComputedAttribute>;
  /** Size limits on records and calls; each one given replaces its default (see `Limits`). */
  limits?: Partial<Limits>;
  /**
   * Open an existing store for reading only, beside its writer (in this process or another): no lock is taken,
   * every read sees what was committed before the current turn of the event loop, and every write throws
   * `READ_ONLY`. Not with `inMemory`.
   */
  readOnly?: boolean;
  /**
   * When the writer writes its in-memory projection state (profiles, accounts, sessions, identity) to disk.
   * Between checkpoints a batch's transaction carries only its records; after a crash the records since the
   * last checkpoint are replayed at open. Defaults: every 50,000 records, every 60 s, at 500,000 entries
   * held in memory, after 1 s without a write call (when at least 2% of `records` wait), and at close.
   */
  checkpoint?: Partial<CheckpointPolicy>;
  /**
   * LZ4 compression, each part with a dictionary sampled from the store's own values and kept in it: `log`, the
   * records (the first write call after 1,000 records samples 1 KB from the latest ones, and from then on every
   * record of 96 bytes or more is written compressed: the generated benchmark events went from 229 to about 146
   * bytes each, for 4–12 µs more per record on the writer's thread, by CPU); `states`, the consolidated states (the
   * consolidation's first chunk samples the dictionary from the closed partial states; the compressing runs on the
   * consolidation's thread). Default `{ log: false, states: true }`; `true` is both, `false` neither. Either costs
   * a fraction of a µs per value read. A part that has a dictionary keeps compressing with it whatever this says (its
   * readers need it either way); `false` leaves a part without one plain.
   */
  compression?: boolean | { log?: boolean; states?: boolean };
}

/** When a checkpoint is written: whichever comes first. */
export interface CheckpointPolicy {
  /** Records stored since the last checkpoint. */
  records: number;
  /** Time since the last checkpoint, checked at each write call. */
  intervalMs: number;
  /** Projection entries (partial states, links, members, identifiers) held in memory: bounds the writer's memory. */
  maxEntries: number;
  /**
   * Quiet time after the last write call, after which the records since the last checkpoint are checkpointed (when
   * at least 2% of `records` wait: a trickle of events is not checkpointed one by one). 0: never when idle.
   */
  idleMs: number;
}

/** The options after defaults are applied. */
export interface ResolvedOptions {
  path: string | undefined;
  inMemory: boolean;
  clock: () => number;
  placeholderIds: ReadonlySet<string>;
  durability: Durability;
  quarantine: boolean;
  mapSizeBytes: number;
  computed: CompiledComputed[];
  limits: Limits;
  readOnly: boolean;
  checkpoint: CheckpointPolicy;
  compression: Compression;
}

/** Identifiers that SDKs send when they know nobody. */
export const DEFAULT_PLACEHOLDER_IDS: readonly string[] = Object.freeze(['anonymous', 'guest', 'null', 'undefined', '0', '-1', '[object object]', 'nan']);

export const DEFAULTS = Object.freeze({
  durability: 'durable',
  quarantine: true,
  mapSizeBytes: 2 ** 30,
  checkpoint: Object.freeze({ records: 50_000, intervalMs: 60_000, maxEntries: 500_000, idleMs: 1_000 } satisfies CheckpointPolicy),
  // The log plain: its compression cost 12 µs of CPU per event in ingest on an Intel Xeon VM (lmdb-js loads the
  // dictionary for every value), a fifth of ingest's time; the states compress on the consolidation's thread.
  compression: Object.freeze({ log: false, states: true } satisfies Compression),
});

/** Applies defaults and checks every option, with a message that names it. */
export function resolveOptions(options: EventDBOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw errors.invalidOptions('', 'must be an object');
  const { path, inMemory = false } = options;
  if (typeof inMemory !== 'boolean') throw errors.invalidOptions('inMemory', 'must be a boolean');
  if (path !== undefined && (typeof path !== 'string' || path === '')) throw errors.invalidOptions('path', 'must be a non-empty string');
  if (inMemory === (path !== undefined)) throw errors.invalidOptions('path', 'give either path or inMemory: true');
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw errors.invalidOptions('clock', 'must be a function returning epoch ms');
  const durability = options.durability ?? DEFAULTS.durability;
  if (durability !== 'durable' && durability !== 'relaxed') throw errors.invalidOptions('durability', "must be 'durable' or 'relaxed'");
  const quarantine = options.quarantine ?? DEFAULTS.quarantine;
  if (typeof quarantine !== 'boolean') throw errors.invalidOptions('quarantine', 'must be a boolean');
  const mapSizeBytes = options.mapSizeBytes ?? DEFAULTS.mapSizeBytes;
  if (!Number.isSafeInteger(mapSizeBytes) || mapSizeBytes < 2 ** 20) throw errors.invalidOptions('mapSizeBytes', 'must be an integer of at least 1 MiB');
  const computed = compileComputed(options.computed);
  const limits = resolveLimits(options.limits);
  const readOnly = options.readOnly ?? false;
  if (typeof readOnly !== 'boolean') throw errors.invalidOptions('readOnly', 'must be a boolean');
  if (readOnly && inMemory) throw errors.invalidOptions('readOnly', 'a throw-away inMemory store has nothing to read');
  const placeholderIds = resolvePlaceholders(options.placeholderIds);
  const checkpoint = resolveCheckpoint(options.checkpoint);
  const compression = resolveCompression(options.compression);
  return { path, inMemory, clock, placeholderIds, durability, quarantine, mapSizeBytes, computed, limits, readOnly, checkpoint, compression };
}

function resolveCompression(given: EventDBOptions['compression']): Compression {
  if (given === undefined) return { ...DEFAULTS.compression };
  if (typeof given === 'boolean') return { log: given, states: given };
  if (typeof given !== 'object' || given === null) throw errors.invalidOptions('compression', 'must be a boolean or { log, states }');
  const compression: Compression = { ...DEFAULTS.compression };
  for (const [part, on] of Object.entries(given)) {
    if (part !== 'log' && part !== 'states') throw errors.invalidOptions(`compression.${part}`, 'is not a compressed part; known: log, states');
    if (on === undefined) continue;
    if (typeof on !== 'boolean') throw errors.invalidOptions(`compression.${part}`, 'must be a boolean');
    compression[part] = on;
  }
  return compression;
}

function resolveCheckpoint(given: Partial<CheckpointPolicy> | undefined): CheckpointPolicy {
  const policy: CheckpointPolicy = { ...DEFAULTS.checkpoint };
  if (given === undefined) return policy;
  if (typeof given !== 'object' || given === null) throw errors.invalidOptions('checkpoint', 'must be an object');
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(policy, name))
      throw errors.invalidOptions(`checkpoint.${name}`, `is not a checkpoint setting; known: ${Object.keys(policy).join(', ')}`);
    if (value === undefined) continue;
    const least = name === 'idleMs' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least)
      throw errors.invalidOptions(`checkpoint.${name}`, least === 0 ? 'must be a non-negative integer' : 'must be a positive integer');
    policy[name as keyof CheckpointPolicy] = value;
  }
  return policy;
}

function resolveLimits(given: Partial<Limits> | undefined): Limits {
  if (given === undefined) return { ...DEFAULT_LIMITS };
  if (typeof given !== 'object' || given === null) throw errors.invalidOptions('limits', 'must be an object');
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) throw errors.invalidOptions(`limits.${name}`, `is not a limit; known: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw errors.invalidOptions(`limits.${name}`, 'must be a positive integer');
    limits[name as keyof Limits] = value;
  }
  return limits;
}

function resolvePlaceholders(ids: readonly string[] | undefined): ReadonlySet<string> {
  const list = ids ?? DEFAULT_PLACEHOLDER_IDS;
  if (!Array.isArray(list) || !list.every((id) => typeof id === 'string')) {
    throw errors.invalidOptions('placeholderIds', 'must be an array of strings');
  }
  return new Set(list.map((id) => id.trim().toLowerCase()));
}
