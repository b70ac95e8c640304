// Sorted runs against a plain map: any sequence of checkpoints (with removals, merges of full levels and reopens)
// reads back the newest value of every key, and nothing else.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { open, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHasher } from '../../src/storage/hash.js';
import { SortedRuns } from '../../src/storage/sorted-runs.js';
import { PARTIAL_FIELDS } from '../../src/storage/projection-state.js';
import { emptyAccount, emptyIdentifier, emptySession } from '../../src/projections/partials.js';

const dirs: string[] = [];
beforeAll(loadHasher);
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function openRoot(path: string): RootDatabase {
  return open({ path, maxDbs: 4, noSync: true });
}

const text = (bytes: Buffer): string => bytes.toString('utf8');

describe('sorted runs', () => {
  it('read back the newest value of each key through checkpoints, merges and reopens', async () => {
    const step = fc.record({
      // Keys from a small alphabet so checkpoints overwrite and remove each other's keys; some long ones cut blocks.
      writes: fc.array(fc.tuple(fc.stringMatching(/^[a-e]{1,3}$|^[é😀]{1,2}$/u), fc.option(fc.string({ maxLength: 300 }), { freq: 4 })), { maxLength: 60 }),
      reopen: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 24 }), async (steps) => {
        const path = mkdtempSync(join(tmpdir(), 'eventdb-runs-'));
        dirs.push(path);
        let root = openRoot(path);
        let runs = new SortedRuns(root, 'test');
        runs.load();
        const model = new Map<string, string>();
        for (const { writes, reopen } of steps) {
          const batch = new Map<string, string | null>();
          for (const [key, value] of writes) batch.set(key, value);
          const staged = runs.stage([...batch].map(([key, value]) => ({ key: Buffer.from(key), value: value === null ? null : Buffer.from(`v${value}`) })));
          await root.committed;
          runs.publish(staged);
          for (const [key, value] of batch) {
            if (value === null) model.delete(key);
            else model.set(key, `v${value}`);
          }
          if (reopen) {
            await root.close();
            root = openRoot(path);
            runs = new SortedRuns(root, 'test');
            runs.load();
            runs.removeOrphans();
          }
          for (const key of ['a', 'b', 'abc', 'ee', 'é', '😀', 'zz']) {
            const got = runs.get(Buffer.from(key), text);
            expect(got ?? undefined).toEqual(model.get(key));
          }
          expect(new Map([...runs.entries()].map(([key, value]) => [text(key), text(value)]))).toEqual(model);
          // Full levels are merged (one merge per checkpoint): about four runs per level, three levels at most here.
          expect(runs.runCount).toBeLessThanOrEqual(4 * 3 + 1);
        }
        await root.close();
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it('merge full levels, so many checkpoints leave few runs, and drop removals when they reach the oldest run', async () => {
    const path = mkdtempSync(join(tmpdir(), 'eventdb-runs-'));
    dirs.push(path);
    const root = openRoot(path);
    const runs = new SortedRuns(root, 'test');
    runs.load();
    for (let i = 0; i < 64; i++) {
      const staged = runs.stage([
        { key: Buffer.from(`k${i}`), value: Buffer.from(`${i}`) },
        { key: Buffer.from(`k${i - 1}`), value: null },
      ]);
      await root.committed;
      runs.publish(staged);
    }
    // 64 checkpoints in 4-wide tiers: about four runs per level over three levels, and one live key.
    expect(runs.runCount).toBeLessThanOrEqual(12);
    expect([...runs.entries()].map(([key]) => text(key))).toEqual(['k63']);
    // k10's removal reached the oldest run with it: both are gone, not kept as a tombstone.
    expect(runs.get(Buffer.from('k10'), text)).toBe(undefined);
    expect(runs.entryCount).toBeLessThan(64 + 63);
    await root.close();
  });

  it('store each kind of partial state in the fields and order its empty state has', () => {
    expect(Object.keys(emptyIdentifier())).toEqual(PARTIAL_FIELDS[1]);
    expect(Object.keys(emptyIdentifier())).toEqual(PARTIAL_FIELDS[2]);
    expect(Object.keys(emptySession())).toEqual(PARTIAL_FIELDS[3]);
    expect(Object.keys(emptyAccount())).toEqual(PARTIAL_FIELDS[4]);
  });
});
