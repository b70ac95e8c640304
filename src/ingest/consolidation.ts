// The consolidation, in the background: closed generations' partial states merged into one state per key, so a
// read takes one state and the partials of the generations not yet merged (the last one or two) per key; and the
// index and dedupe runs the checkpoints write merged, so a lookup asks a few of them.

import { Piscina } from 'piscina';
import type { CompiledComputed } from '../projections/computed.js';
import { mergedPartial, mergedUserState, mergeIdentifierInto, type IdentifierPartial } from '../projections/partials.js';
import { PartialKind, type PartialKindCode } from '../projections/projection-store.js';
import { sessionsOf, type HiddenSessions } from '../projections/session-tally.js';
import { stateSessionsKey, userSessionsKey } from '../storage/projection-state.js';
import { membersFromText, type ClosedKey, type ConsolidatedKey } from '../storage/derived-store.js';
import type { Compression } from '../storage/dictionary.js';
import type { Storage, TransactionGate } from '../storage/storage.js';
import { workerEnv, workerScript } from './bulk/worker-pool.js';
import type { WriterActivity } from './batch-writer.js';

/** Partials moved per transaction: about 10 ms of the write lock, which the writer waits for when it wants it. */
const CONSOLIDATION_CHUNK = 2_000;

/**
 * Closed generations merged into the states together, at most. A profile active in every generation has its state
 * decoded, merged, encoded and written once per group rather than once per generation (with its user's state): at
 * 10M events a group of eight took 53 s, against 12 s for each generation alone (docs/storage-v2.md).
 */
export const GROUP_GENERATIONS = 8;

/**
 * Moves the next chunk of the oldest closed generations not yet consolidated into `states` and returns true, or
 * returns false when every closed generation is consolidated. A generation is closed once a checkpoint covers its
 * last record: the writer never writes its partials again (it folds records into their own generation, and
 * replays only what follows the checkpoint). The closed generations waiting when a group starts (up to
 * `GROUP_GENERATIONS`) are merged as one group, `meta.consolidated` holding its end until it is done. The merge is
 * computed from the committed snapshot, outside the write lock; the transaction then writes each key's merged
 * state and removes every partial of the group's generations it took in, all or none, so at every commit each
 * partial is counted exactly once: in its generation or in the state. The last chunk of a group (an empty one)
 * raises `meta.consolidated` past it, and from then on reads skip its generations; the first chunk ever marks it
 * started, and from then on reads take each key's state first.
 * Only the consolidation writes states and closed partials; a repair stops it first (see `Consolidator.pause`).
 */
export function consolidateStep(storage: Storage, computed: readonly CompiledComputed[], chunk: number = CONSOLIDATION_CHUNK): boolean {
  storage.refreshSnapshot();
  const progress = storage.consolidation();
  const gen = progress.generations;
  const closed = storage.generationOf(storage.checkpointPosition() + 1);
  if (gen >= closed) return false;
  // A group in progress keeps its end (verify tells a moved key by it); a new one takes what is closed now.
  const until = progress.until > gen ? progress.until : Math.min(closed, gen + GROUP_GENERATIONS);
  // About `chunk` partials per transaction whatever the group's size: the pages a transaction dirties stay in
  // LMDB's memory for reuse (outside the map), and each key may have a partial in every generation of the group.
  // Generations' keys are alike (ids spread over the whole ingest), so the first `chunk / generations` partials of
  // each cover about the same keys.
  const keys = storage.derived.closedKeys(gen, until, Math.ceil(chunk / (until - gen)));
  const states = new Map<string, unknown>();
  const sessionSets = new Map<string, readonly string[]>();
  const moved: ConsolidatedKey[] = keys.map(({ kind, id, gens, values }) => {
    const stored = storage.derived.getState(kind, id);
    let state = stored;
    for (const value of values) state = mergedPartial(kind, state, value, computed);
    if (kind === PartialKind.profileId || kind === PartialKind.userId) {
      const key = stateSessionsKey(kind, id);
      hideSessions(state as IdentifierPartial, hiddenOf(key, stored as IdentifierPartial | undefined), storage, sessionSets, key);
    }
    states.set(`${kind}${id}`, state);
    return { gens, kind, id, state: storage.derived.encodeState(kind, state) };
  });
  const userStates = mergedUserStates(storage, keys, states, sessionSets, computed);
  // The first states ever written sample the states' dictionary: they are written plain with it, the next compressed.
  const dictionary = moved.length > 0 ? storage.derived.sampleStatesDictionary(gen) : undefined;
  let sampled = false;
  // Flushed like a durable write call (a throw-away store never flushes): LMDB then never holds a consolidation
  // step it cannot read back after a power loss, whatever the writer's own durability.
  storage.transact(() => {
    const now = storage.consolidation();
    if (now.generations !== gen || (now.until > gen && now.until !== until)) return;
    if (moved.length === 0) storage.putConsolidation(until, true);
    else {
      if (!now.started || now.until !== until) storage.putConsolidation(gen, true, until);
      if (dictionary !== undefined) storage.derived.putStatesDictionary(dictionary);
      sampled = dictionary !== undefined;
      storage.derived.moveToStates(moved, currentOnly(storage, userStates, sessionSets), sessionSets);
    }
  });
  if (sampled) storage.derived.useStatesDictionary(dictionary!);
  return true;
}

/** A user state merged by a chunk, for the members its snapshot holds. */
interface MergedUserState {
  members: string;
  bytes: Buffer;
}

/**
 * The user states to write in the chunk's transaction: those merged for the members LMDB holds now (a checkpoint
 * may have changed a user's members since the chunk's snapshot, and removed its user state then). So every user
 * state LMDB holds is merged for the user's stored members, and a read takes them from it. The others are left
 * out with their session sets: a later chunk that touches the user merges it again.
 */
function currentOnly(storage: Storage, merged: ReadonlyMap<string, MergedUserState>, sessionSets: Map<string, readonly string[]>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [userId, { members, bytes }] of merged) {
    if (storage.derived.storedMembersText(userId) === members) out.set(userId, bytes);
    else sessionSets.delete(userSessionsKey(userId));
  }
  return out;
}

/** A state's hidden sessions (none when it has no state, or a format-11 state lists them). */
function hiddenOf(key: string, state: IdentifierPartial | undefined): HiddenSessions[] {
  return state === undefined || state.sessionCount === 0 ? [] : [{ key, count: state.sessionCount }];
}

/**
 * Turns a merged identifier state into the form written: its sessions (those it lists, and those of the `hidden`
 * sets of what it merged, read from the chunk's new sets first, then LMDB) go to its session set under `key`,
 * added to `sessionSets`, and it keeps their count.
 */
function hideSessions(
  state: IdentifierPartial,
  hidden: readonly HiddenSessions[],
  storage: Storage,
  sessionSets: Map<string, readonly string[]>,
  key: string,
): void {
  const sessions = sessionsOf(state.sessions, hidden, { sessionSet: (at) => sessionSets.get(at) ?? storage.derived.sessionSet(at) });
  state.sessions = [];
  state.sessionCount = sessions.length;
  if (sessions.length > 0) sessionSets.set(key, sessions);
}

/**
 * The user states to write with a chunk: for each user an identifier of the chunk belongs to (its userId, or the
 * user its profileId is linked to), the merge of the states of the user and of its members as LMDB will hold them
 * with the chunk's states, encoded with those members. A user state stored for the same members is that merge
 * before the chunk, so the chunk's partials of the user's identifiers are merged into it; without one, the
 * user's states are read and merged (`states` holds the chunk's, by `<kind><id>`).
 */
function mergedUserStates(
  storage: Storage,
  keys: readonly ClosedKey[],
  states: ReadonlyMap<string, unknown>,
  sessionSets: Map<string, readonly string[]>,
  computed: readonly CompiledComputed[],
): Map<string, MergedUserState> {
  const byUser = new Map<string, IdentifierPartial[]>();
  for (const { kind, id, values } of keys) {
    const userId = kind === PartialKind.userId ? id : kind === PartialKind.profileId ? storage.derived.storedUserOf(id) : undefined;
    if (userId === undefined) continue;
    let moved = byUser.get(userId);
    if (moved === undefined) byUser.set(userId, (moved = []));
    for (const value of values) moved.push(value as IdentifierPartial);
  }
  const out = new Map<string, MergedUserState>();
  for (const [userId, moved] of byUser) {
    const members = storage.derived.storedMembersText(userId);
    const before = storage.derived.userState(userId, members) as IdentifierPartial | undefined;
    let merged: IdentifierPartial;
    const hidden: HiddenSessions[] = [];
    if (before !== undefined) {
      merged = before;
      hidden.push(...hiddenOf(userSessionsKey(userId), before));
      for (const partial of moved) mergeIdentifierInto(merged, partial, computed);
    } else {
      const stateOf = (kind: PartialKindCode, id: string): unknown => {
        const text = `${kind}${id}`;
        const state = (states.has(text) ? states.get(text) : storage.derived.getState(kind, id)) as IdentifierPartial | undefined;
        hidden.push(...hiddenOf(stateSessionsKey(kind, id), state));
        return state;
      };
      merged = mergedUserState(userId, membersFromText(members), stateOf, computed);
    }
    hideSessions(merged, hidden, storage, sessionSets, userSessionsKey(userId));
    out.set(userId, { members, bytes: storage.derived.encodeUserState(members, merged) });
  }
  return out;
}

/**
 * Merges the index runs, else the dedupe runs, the current snapshot holds as a binary counter asks (see
 * `PostingRuns`, `DedupeRuns`): computed from the snapshot outside the write lock, then written in one transaction
 * (flushed, as a chunk is), which replaces the merged runs whole. Returns false when there is nothing to merge.
 * Only the consolidation merges runs; a repair, which rewrites them, stops it first.
 */
export function mergeRunsStep(storage: Storage): boolean {
  storage.refreshSnapshot();
  const merge = storage.index.prepareRunMerge();
  if (merge === undefined) return mergeDedupeStep(storage);
  storage.transact(() => {
    storage.index.applyRunMerge(merge);
  });
  return true;
}

/** Merges the dedupe runs alone (what the worker does while the writer is busy and only they have piled up). */
export function mergeDedupeStep(storage: Storage): boolean {
  storage.refreshSnapshot();
  const merge = storage.dedupeRuns.prepareMerge();
  if (merge === undefined) return false;
  storage.transact(() => {
    storage.dedupeRuns.applyMerge(merge);
  });
  return true;
}

/**
 * One step of either kind, `mergeFirst` saying which to try first (the worker alternates, so a long backlog of
 * one kind does not starve the other); false when neither is due.
 */
export function consolidationStep(storage: Storage, computed: readonly CompiledComputed[], mergeFirst = false): boolean {
  return mergeFirst ? mergeRunsStep(storage) || consolidateStep(storage, computed) : consolidateStep(storage, computed) || mergeRunsStep(storage);
}

/** Where the consolidation runs: a worker thread (the default), the calling thread after each commit (tests), or nowhere. */
export type ConsolidationMode = 'worker' | 'inline' | 'off';

/** Slots of the flags the writer and the worker share. */
export const Flag = {
  /** 1: stop after the chunk in progress (close, a repair). */
  stop: 0,
  /** 1 while a write call is in its transaction. */
  busy: 1,
  /** Write calls settled so far (the worker tells an idle writer by this not moving). */
  calls: 2,
  /** 1: consolidate without waiting for the writer to be idle (`idle()` waits for the worker). */
  hurry: 3,
  /** Who took the task handed to the worker last: see `Claim`. */
  claim: 4,
  /** 1 while the worker is in a write transaction (or about to start one): see `exitGate`. */
  inTransaction: 5,
  /** 1 once the process is exiting: the worker starts no transaction. */
  exiting: 6,
  /**
   * 1 from a task's hand-off until the thread has returned from it: the thread may be loading its modules (lmdb-js's
   * addon among them) or inside lmdb-js. Cleared by the thread as it returns, and by the writer when the run settles.
   */
  inTask: 7,
} as const;

/** How long a process exit waits for the worker's write transaction to end (a chunk or a merge takes well under it). */
export const EXIT_WAIT_MS = 5_000;

/**
 * The worker's side of the exit handshake (`Storage.gate`): it marks itself in a transaction, then checks that the
 * exit has not begun; the exit handler marks the exit, then waits while the worker is marked. With both sides
 * sequentially consistent, either the worker sees the exit and starts nothing, or the handler sees the worker and
 * waits for it to leave, so Node never terminates the thread inside a transaction.
 */
export function exitGate(flags: Int32Array): TransactionGate {
  return {
    enter: () => {
      Atomics.store(flags, Flag.inTransaction, 1);
      if (Atomics.load(flags, Flag.exiting) === 0) return true;
      Atomics.store(flags, Flag.inTransaction, 0);
      Atomics.notify(flags, Flag.inTransaction);
      return false;
    },
    leave: () => {
      Atomics.store(flags, Flag.inTransaction, 0);
      Atomics.notify(flags, Flag.inTransaction);
    },
  };
}

/**
 * The task handed to the worker is claimed once, by whichever comes first: the worker starting it, or a stop
 * cancelling it before it started (the thread may still be starting: a new pool loads its modules first).
 */
export const Claim = { queued: 0, started: 1, cancelled: 2 } as const;

/**
 * How long the writer must have been idle (no call in its transaction, none settled) before the worker writes a
 * chunk: the worker's transactions wait for the writer's, and the writer's for the worker's.
 */
export const IDLE_MS = 100;

/**
 * Closed generations waiting past which the worker consolidates even while the writer is busy: reads then take
 * at most this many partials per key besides its state and the current generation's, however long the ingest
 * runs. Below it, a busy writer keeps the write lock to itself (a chunk costs it about 10 ms of waiting).
 */
export const BUSY_BACKLOG = 4;

/**
 * Index runs past which the worker merges them even while the writer is busy: a long ingest adds one per
 * checkpoint (20 at 1M events), and a lookup asks each. Below it, merges wait for the writer to be idle.
 */
export const BUSY_RUNS = 24;

/**
 * Dedupe runs past which the worker merges them even while the writer is busy (and only them, unless the other
 * limits are passed too): every new eventId asks each run's filter, so they are kept fewer than the index runs
 * (merging a few small runs costs the writer little waiting).
 */
export const BUSY_DEDUPE_RUNS = 8;

/** Closed generations not yet consolidated, as the current snapshot says. */
export function consolidationBacklog(storage: Storage): number {
  return storage.generationOf(storage.checkpointPosition() + 1) - storage.consolidatedGenerations();
}

/** Whether anything waits for the consolidation in the current snapshot: a closed generation or a run merge. */
export function consolidationDue(storage: Storage): boolean {
  return consolidationBacklog(storage) > 0 || storage.index.runMergeDue() || storage.dedupeRuns.mergeDue();
}

/** What the consolidation worker is given: where the store is and how to merge, and the flags it shares with the writer. */
export interface ConsolidationTask {
  path: string;
  mapSizeBytes: number;
  noSync: boolean;
  computed: readonly CompiledComputed[];
  /** Entries a merged dedupe run may reach (tests; see `DedupeRuns`). */
  dedupeMergeEntries?: number | undefined;
  /** The parts compressed (see `EventDBOptions.compression`): the consolidation writes the states. */
  compression: Compression;
  /** See `Flag`. */
  flags: Int32Array;
}

export class Consolidator implements WriterActivity {
  private pool: Piscina<ConsolidationTask, void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private paused = false;
  private readonly flags = new Int32Array(new SharedArrayBuffer(4 * 8));
  /**
   * Registered on `process` while the worker thread may exist. Node ends the thread at exit, and ending it inside
   * lmdb-js is unsafe: inside `transactionSync` it never releases the write lock (see `exitGate`), and inside any
   * call of lmdb-js's addon that then fails to throw (its loading first) node-addon-api aborts the process. So the
   * exit stops the worker (a task not started yet is cancelled, one in progress ends after its step) and waits, at
   * most `EXIT_WAIT_MS`, until the thread has returned from its task and left its transaction.
   */
  private readonly onExit = (): void => {
    const flags = this.flags;
    Atomics.store(flags, Flag.exiting, 1);
    Atomics.store(flags, Flag.stop, 1);
    Atomics.notify(flags, Flag.stop);
    Atomics.compareExchange(flags, Flag.claim, Claim.queued, Claim.cancelled);
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (const slot of [Flag.inTask, Flag.inTransaction]) {
      for (let left = deadline - Date.now(); left > 0 && Atomics.load(flags, slot) === 1; left = deadline - Date.now()) Atomics.wait(flags, slot, 1, left);
    }
  };
  /** The last failure of the worker (reads stay correct without consolidation; tests look at it). */
  failure: string | undefined;

  constructor(
    private readonly mode: ConsolidationMode,
    private readonly storage: Storage,
    private readonly store: Omit<ConsolidationTask, 'flags'>,
    private readonly random: () => number = Math.random,
  ) {}

  staging(): void {
    Atomics.store(this.flags, Flag.busy, 1);
  }

  settled(checkpointed: boolean): void {
    Atomics.store(this.flags, Flag.busy, 0);
    Atomics.add(this.flags, Flag.calls, 1);
    if (checkpointed) this.kick();
  }

  kick(): void {
    if (this.paused || this.mode === 'off') return;
    if (this.mode === 'inline') {
      const steps = Math.floor(this.random() * 4);
      for (let i = 0; i < steps; i++) if (!consolidateStep(this.storage, this.store.computed, 1 + Math.floor(this.random() * 8))) break;
      if (this.random() < 0.5) mergeRunsStep(this.storage);
      return;
    }
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    // The thread starts only when something waits: a closed generation (at most 2^18 records each) or a run merge.
    if (!consolidationDue(this.storage)) return;
    this.running = this.runWorker();
  }

  /**
   * Resolves once nothing closed is left to consolidate and no run merge is due, the worker not waiting for the
   * writer to be idle.
   */
  async idle(): Promise<void> {
    if (this.mode === 'inline') while (consolidationStep(this.storage, this.store.computed));
    Atomics.store(this.flags, Flag.hurry, 1);
    try {
      this.kick();
      while (this.running !== undefined) await this.running;
    } finally {
      Atomics.store(this.flags, Flag.hurry, 0);
    }
  }

  /**
   * Waits for the chunk in progress; none starts until `resume()` (a repair rewrites what the worker writes). A task
   * the worker has not started yet is cancelled instead of waited for: it will open nothing, and `running` settles
   * whenever the thread gets to it (a close then ends the thread).
   */
  async pause(): Promise<void> {
    this.paused = true;
    Atomics.store(this.flags, Flag.stop, 1);
    Atomics.notify(this.flags, Flag.stop);
    const started = Atomics.compareExchange(this.flags, Flag.claim, Claim.queued, Claim.cancelled) !== Claim.queued;
    if (started) while (this.running !== undefined) await this.running;
    Atomics.store(this.flags, Flag.stop, 0);
  }

  resume(): void {
    this.paused = false;
    this.kick();
  }

  /**
   * Stops the worker and ends its thread. A task cancelled before it started still reaches the thread, which returns
   * from it at once: the close waits for that too, so the pool is destroyed with its thread idle. A thread ended
   * while it loads its modules can abort the whole process (lmdb-js's addon, initialising in a thread being
   * terminated, fails to throw, and node-addon-api makes that fatal): seen once in the crash loop's parent.
   */
  async close(): Promise<void> {
    await this.pause();
    while (this.running !== undefined) await this.running;
    await this.pool?.destroy();
    this.pool = undefined;
    process.off('exit', this.onExit);
  }

  /** Runs worker tasks until one ends with no kick received meanwhile. */
  private async runWorker(): Promise<void> {
    try {
      do {
        this.again = false;
        Atomics.store(this.flags, Flag.claim, Claim.queued);
        Atomics.store(this.flags, Flag.inTask, 1);
        await this.ensurePool().run({ ...this.store, flags: this.flags });
      } while (this.again && !this.paused);
    } catch (err) {
      this.failure = (err as Error).message;
    } finally {
      // The thread clears it as it returns; a thread that failed to start never does.
      Atomics.store(this.flags, Flag.inTask, 0);
      this.running = undefined;
    }
  }

  private ensurePool(): Piscina<ConsolidationTask, void> {
    if (this.pool !== undefined) return this.pool;
    process.on('exit', this.onExit);
    const { filename, execArgv } = workerScript(import.meta.url, 'consolidation-worker');
    this.pool = new Piscina<ConsolidationTask, void>({
      filename,
      ...(execArgv === undefined ? {} : { execArgv }),
      env: workerEnv(),
      minThreads: 1,
      maxThreads: 1,
      atomics: 'disabled',
      idleTimeout: 60_000,
    });
    return this.pool;
  }
}
