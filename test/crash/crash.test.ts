import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { crashBatchSize } from './crash-batches.js';
import { runAndKill } from './crash-loop.js';

const CHILD = join(import.meta.dirname, 'ingest-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'eventdb-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crash safety', () => {
  it('keeps every acknowledged batch exactly once and no batch in part, across SIGKILLs', async () => {
    const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 100_000);
    console.log(`crash test seed ${seed} (replay with CRASH_SEED=${seed})`);
    let expectedRecords = 0;
    for (let round = 0; round < 4; round++) {
      const killAfterMs = 50 + ((seed * (round + 3) * 7919) % 700);
      const lastAck = await runAndKill(CHILD, dir, round, killAfterMs);
      console.log(`round ${round}: killed ${killAfterMs} ms after the first ack, last ack ${lastAck}`);
      const db = await EventDB.open({ path: dir });
      try {
        for (let batch = 0; ; batch++) {
          const size = crashBatchSize(round, batch);
          let present = 0;
          for (let i = 0; i < size; i++) if (db.getEvent(`r${round}-b${batch}-${i}`) !== undefined) present++;
          if (batch <= lastAck) expect(present, `seed ${seed}: acknowledged batch ${batch} of round ${round}`).toBe(size);
          expect([0, size], `seed ${seed}: batch ${batch} of round ${round} is in part`).toContain(present);
          expectedRecords += present;
          if (present === 0 && batch > lastAck) break;
        }
        expect(db.stats().records, `seed ${seed}`).toBe(expectedRecords);
        const report = await db.verify();
        expect(report.differences, `seed ${seed}`).toEqual([]);
        // Everything found is found once: the profile index holds each record once.
        const seen = new Set<string>();
        for (let p = 0; p < 50; p++) for (const r of db.events({ profileId: `p${p}` })) seen.add(r.eventId);
        expect(seen.size).toBe(expectedRecords);
      } finally {
        await db.close();
      }
    }
  }, 120_000);
});
