// ingestFile's edges against a scripted writer: a failed final flush rejects the call, chunks stay within limits.maxBatchSize.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errors } from '../../src/errors.js';
import { ingestFile, type BulkIngestTarget } from '../../src/ingest/bulk/bulk-ingest.js';
import type { IngestResult } from '../../src/schema/results.js';
import { DEFAULT_LIMITS, EventDB, isEventDBError } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'eventdb-ingest-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An NDJSON file of `count` valid events. */
function eventsFile(name: string, count: number): string {
  const path = join(dir, name);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      eventId: `e${i}`,
      profileId: `p${i % 7}`,
      sessionId: `s${i % 11}`,
      eventName: 'view',
      timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** A writer that accepts every chunk and records the calls; `fail` decides which calls reject. */
function scriptedTarget(fail: (inputs: readonly unknown[], call: number) => Error | undefined, maxBatchSize = DEFAULT_LIMITS.maxBatchSize) {
  const calls: { records: number; durability: string }[] = [];
  const target: BulkIngestTarget = {
    placeholderIds: new Set(),
    limits: { ...DEFAULT_LIMITS, maxBatchSize },
    durability: 'relaxed',
    ensureOpen: () => undefined,
    writeValidated: (inputs, _validations, durability) => {
      calls.push({ records: inputs.length, durability });
      const failure = fail(inputs, calls.length - 1);
      if (failure !== undefined) return Promise.reject(failure);
      return Promise.resolve(inputs.map((): IngestResult => ({ status: 'accepted' })));
    },
  };
  return { target, calls };
}

const diskFull = (): Error => errors.writeFailed(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));

describe('ingestFile final flush', () => {
  const file = eventsFile('ten.ndjson', 10);

  it('resolves after the final flush when it succeeds', async () => {
    const { target, calls } = scriptedTarget(() => undefined);
    const result = await ingestFile(target, file, { workers: 0, batchSize: 4 });
    expect(result).toMatchObject({ accepted: 10, lines: 10 });
    // Three chunks committed relaxed, then one empty durable commit: the final flush, awaited before resolving.
    expect(calls).toEqual([
      { records: 4, durability: 'relaxed' },
      { records: 4, durability: 'relaxed' },
      { records: 2, durability: 'relaxed' },
      { records: 0, durability: 'durable' },
    ]);
  });

  it('rejects with the writer’s structured error when the final flush fails', async () => {
    const { target, calls } = scriptedTarget((inputs) => (inputs.length === 0 ? diskFull() : undefined));
    const err = await ingestFile(target, file, { workers: 0, batchSize: 4 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEventDBError(err, 'WRITE_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toContain('ENOSPC');
    expect(calls.at(-1)).toEqual({ records: 0, durability: 'durable' });
  });

  it('reports the first failure, not the flush after it, when a chunk’s commit fails', async () => {
    const first = diskFull();
    const { target } = scriptedTarget((_inputs, call) => (call === 1 ? first : call > 1 ? errors.writeFailed(new Error('later')) : undefined));
    await expect(ingestFile(target, file, { workers: 0, batchSize: 4 })).rejects.toBe(first);
  });
});

describe('ingestFile batchSize and limits.maxBatchSize', () => {
  const file = eventsFile('250.ndjson', 250);

  it('refuses a batchSize over limits.maxBatchSize with LIMIT_EXCEEDED, before reading or writing anything', async () => {
    const { target, calls } = scriptedTarget(() => undefined, 100);
    const err = await ingestFile(target, file, { workers: 0, batchSize: 101 }).catch((e: unknown) => e);
    expect(isEventDBError(err, 'LIMIT_EXCEEDED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/options\.batchSize: 101 records per chunk, more than limits\.maxBatchSize \(100\)/);
    expect(calls).toEqual([]);
    // The default limit (100,000) refuses the old ceiling of 1,000,000 too.
    const big = await ingestFile(scriptedTarget(() => undefined).target, file, { workers: 0, batchSize: 1_000_000 }).catch((e: unknown) => e);
    expect(isEventDBError(big, 'LIMIT_EXCEEDED'), String(big)).toBe(true);
    for (const batchSize of [0, 1.5, -3, Number.NaN]) {
      const bad = await ingestFile(target, file, { workers: 0, batchSize }).catch((e: unknown) => e);
      expect(isEventDBError(bad, 'INVALID_OPTIONS'), `${batchSize}: ${String(bad)}`).toBe(true);
    }
  });

  it('accepts batchSize equal to the limit, and lowers the default (5,000) to a smaller limit', async () => {
    const atLimit = scriptedTarget(() => undefined, 100);
    await ingestFile(atLimit.target, file, { workers: 0, batchSize: 100 });
    expect(atLimit.calls.map((c) => c.records)).toEqual([100, 100, 50, 0]);
    const byDefault = scriptedTarget(() => undefined, 100);
    await ingestFile(byDefault.target, file, { workers: 0 });
    expect(Math.max(...byDefault.calls.map((c) => c.records))).toBe(100);
  });

  it('on a real store: the store’s limit applies to ingestFile', async () => {
    const db = await EventDB.open({ inMemory: true, limits: { maxBatchSize: 100 } });
    try {
      await expect(db.ingestFile(file, { batchSize: 500 })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
      expect(db.stats().events).toBe(0);
      const result = await db.ingestFile(file, { workers: 0 });
      expect(result).toMatchObject({ accepted: 250, lines: 250 });
    } finally {
      await db.close();
    }
  });
});
