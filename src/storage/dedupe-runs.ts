// The dedupe set as written by checkpoints: (xxhash64 → seq) in sorted runs, one per checkpoint, merged in tiers
// (see sorted-runs.ts), so a new eventId is checked against a bounded number of Bloom filters.

import type { Database, RootDatabase } from 'lmdb';
import { issued } from './issued.js';
import { SortedRuns, type RunEntry, type StagedRuns } from './sorted-runs.js';

const TWO_32 = 2 ** 32;
/** Format 2's run blocks: entries of hash u64, seq u48. */
const LEGACY_ENTRY_BYTES = 14;

/** One (hash, seq) entry being written. */
export interface DedupeEntry {
  hash: bigint;
  seq: number;
}

const halves = (hash: bigint): [number, number] => [Number(hash >> 32n), Number(hash & 0xffffffffn)];

function hashKey(hash: bigint): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeBigUInt64BE(hash);
  return key;
}

function seqValue(seq: number): Buffer {
  const value = Buffer.allocUnsafe(6);
  value.writeUInt16BE(Math.floor(seq / TWO_32), 0);
  value.writeUInt32BE(seq >>> 0, 2);
  return value;
}

const readSeq = (value: Buffer): number => value.readUInt16BE(0) * TWO_32 + value.readUInt32BE(2);

/** The runs of one store's eventId hashes. */
export class DedupeRuns {
  private readonly runs: SortedRuns;
  /** Checkpoints staged and not yet committed, oldest first. */
  private readonly staged: StagedRuns[] = [];
  /** Format 2's blocks and filters, kept only to be moved into the runs by the upgrade. */
  private readonly legacyBlocks: Database<Buffer, Buffer>;
  private readonly legacyFilters: Database<Buffer, number>;

  constructor(root: RootDatabase) {
    this.runs = new SortedRuns(root, 'eventids');
    this.legacyBlocks = root.openDB({ name: 'dedupe-runs', keyEncoding: 'binary', encoding: 'binary' });
    this.legacyFilters = root.openDB({ name: 'dedupe-filters', encoding: 'binary' });
  }

  /** Reads the runs' manifest (at open, and when a read-only handle sees a new checkpoint). */
  load(): void {
    this.runs.load();
  }

  /** Issues the removal of blocks no run owns (a writer's open). */
  removeOrphans(): void {
    this.runs.removeOrphans();
  }

  /** Entries in every run. */
  get size(): number {
    return this.runs.entryCount;
  }

  /** The seq stored under `hash` in the newest run holding it, or undefined. */
  find(hash: bigint): number | undefined {
    return this.runs.get(hashKey(hash), readSeq) ?? undefined;
  }

  /** Issues a run of `entries` (any order) with the transaction being staged; `published` once it commits. */
  write(entries: readonly DedupeEntry[]): void {
    const runEntries: RunEntry[] = entries.map(({ hash, seq }) => ({ key: hashKey(hash), value: seqValue(seq) }));
    this.staged.push(this.runs.stage(runEntries));
  }

  /** The oldest staged checkpoint committed: its run answers from now on. */
  published(): void {
    const staged = this.staged.shift();
    if (staged !== undefined) this.runs.publish(staged);
  }

  /** Every (hash, seq) stored, for verify. */
  *entries(): Generator<DedupeEntry> {
    for (const [key, value] of this.runs.entries()) yield { hash: key.readBigUInt64BE(0), seq: readSeq(value) };
  }

  /** Removes every run and writes `entries` as one (a repair, inside its transaction). */
  replaceAll(entries: readonly DedupeEntry[]): void {
    this.runs.clear();
    this.write(entries);
    this.published();
  }

  /** Moves format 2's runs into one run of this layout (the upgrade, inside its transaction). */
  migrateLegacy(): void {
    const entries: DedupeEntry[] = [];
    for (const { key, value: block } of this.legacyBlocks.getRange()) {
      for (let at = 0; at < block.length; at += LEGACY_ENTRY_BYTES) {
        entries.push({ hash: block.readBigUInt64BE(at), seq: block.readUInt16BE(at + 8) * TWO_32 + block.readUInt32BE(at + 10) });
      }
      issued(this.legacyBlocks.remove(key));
    }
    for (const key of this.legacyFilters.getKeys()) issued(this.legacyFilters.remove(key));
    if (entries.length > 0) this.replaceAll([...this.entries(), ...entries]);
  }
}

export { halves as hashHalves };
