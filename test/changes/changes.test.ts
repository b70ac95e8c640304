// db.changes(): positions resume exactly, every record kind comes as getEvent shapes it, reads go in bounded pages.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventDB, isEventDBError, type Change } from '../../src/index.js';
import { fixtureEvent } from '../export/export-fixture.js';
import { jsonBuffer, product } from '../helpers/catalog.js';
import { shuffle } from '../helpers/events.js';

const N = 10_000;

async function collect(feed: AsyncIterable<Change>): Promise<Change[]> {
  const out: Change[] = [];
  for await (const change of feed) out.push(change);
  return out;
}

describe('db.changes()', () => {
  it('resumed after every position of a 10k-event log, gives exactly the rest', { timeout: 60_000 }, async () => {
    const db = await EventDB.open({ inMemory: true });
    try {
      for (let start = 0; start < N; start += 2_500) {
        await db.ingestBatch(Array.from({ length: 2_500 }, (_, i) => fixtureEvent(start + i, 300)));
      }
      const all = await collect(db.changes());
      const allText = all.map((c) => JSON.stringify(c));
      expect(all.map((c) => c.position)).toEqual(Array.from({ length: N }, (_, i) => String(i + 1)));
      expect(all.map((c) => c.record.eventId)).toEqual(Array.from({ length: N }, (_, i) => `x-${i}`));
      // Every position: the next few changes follow it exactly (pages of 7, so page edges fall everywhere).
      // Feeds run 1,000 at a time: each waits a timer turn after its page (see change-feed.ts), so they share it.
      for (let from = 0; from <= N; from += 1_000) {
        const positions = Array.from({ length: Math.min(1_000, N + 1 - from) }, (_, i) => from + i);
        const heads = await Promise.all(positions.map((p) => collect(db.changes({ after: String(p), limit: 3, pageSize: 7 }))));
        positions.forEach((p, i) => expect(heads[i]).toEqual(all.slice(p, p + 3)));
      }
      // A seeded sample of positions (and the edges): the whole rest, nothing more, nothing less.
      const seed = Number(process.env['CHANGES_SEED'] ?? Date.now() % 100_000);
      console.log(`changes resume sample seed ${seed} (CHANGES_SEED=${seed} replays it)`);
      const sample = [
        0,
        1,
        2,
        999,
        1_000,
        1_001,
        N - 1,
        N,
        ...shuffle(
          Array.from({ length: N }, (_, i) => i),
          seed,
        ).slice(0, 16),
      ];
      for (const p of sample) {
        const rest = await collect(db.changes({ after: String(p), pageSize: 997 }));
        expect(rest.length).toBe(N - p);
        expect(rest[0]?.position).toBe(p < N ? String(p + 1) : undefined);
        expect(rest.at(-1)?.position).toBe(p < N ? String(N) : undefined);
        expect(rest.map((c) => JSON.stringify(c))).toEqual(allText.slice(p));
      }
    } finally {
      await db.close();
    }
  });

  it('gives every record kind as getEvent returns it, and positions survive a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-changes-'));
    try {
      let db = await EventDB.open({ path: dir });
      await db.ingest({ eventId: 'e1', profileId: 'p1', sessionId: 's1', eventName: 'view', timestamp: '2026-01-01T10:00:00.123Z', data: { a: 1 } });
      await db.ingest({ productId: 'prod-1', timestamp: '2026-01-01T10:00:01Z', data: { price: 3 } });
      await db.setAttributes({ userId: 'u1' }, { set: { plan: 'pro' }, timestamp: '2026-01-01T10:00:02Z', source: 'crm' });
      await db.catalog.importFeed(jsonBuffer([product('f1')]), { format: 'json' });
      await db.catalog.importFeed(jsonBuffer([product('f2')]), { format: 'json', mode: 'replace', allowMassRemoval: true });
      const before = await collect(db.changes());
      expect(before.map((c) => c.record.kind)).toEqual(['event', 'product', 'attributes', 'feedItem', 'feedItem', 'productRemoval', 'productRemoval']);
      for (const { record } of before) expect(record).toEqual(db.getEvent(record.eventId));
      expect(before[0]!.record.timestamp).toBe('2026-01-01T10:00:00.123Z');
      await db.close();
      db = await EventDB.open({ path: dir, readOnly: true });
      expect(await collect(db.changes())).toEqual(before);
      expect(await collect(db.changes({ after: before[3]!.position }))).toEqual(before.slice(4));
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the log in bounded pages as the consumer pulls, never ahead of it', async () => {
    const db = await EventDB.open({ inMemory: true });
    try {
      for (let start = 0; start < 5_000; start += 2_500) {
        await db.ingestBatch(Array.from({ length: 2_500 }, (_, i) => fixtureEvent(start + i, 50)));
      }
      const pages: number[] = [];
      const feed = db.changes({ pageSize: 100 }, { onPage: (n) => pages.push(n) })[Symbol.asyncIterator]();
      await feed.next();
      expect(pages).toEqual([100]);
      for (let i = 1; i < 250; i++) await feed.next();
      // 250 pulled: the third page is read, nothing beyond it.
      expect(pages).toEqual([100, 100, 100]);
      // A consumer that stops: the feed reads no more.
      await feed.return?.();
      expect(pages.length).toBe(3);
      // limit bounds the last page too.
      const limited: number[] = [];
      expect((await collect(db.changes({ pageSize: 100, limit: 150 }, { onPage: (n) => limited.push(n) }))).length).toBe(150);
      expect(limited).toEqual([100, 50]);
    } finally {
      await db.close();
    }
  });

  it('live: yields commits made after it caught up, once each, in order; stops on abort', async () => {
    const db = await EventDB.open({ inMemory: true });
    try {
      await db.ingestBatch([fixtureEvent(0, 5)]);
      const stop = new AbortController();
      const seen: string[] = [];
      const follower = (async () => {
        for await (const change of db.changes({ live: true, pollIntervalMs: 5, signal: stop.signal })) {
          seen.push(change.record.eventId);
          if (seen.length === 31) stop.abort();
        }
      })();
      for (let b = 0; b < 5; b++) await db.ingestBatch(Array.from({ length: 5 }, (_, i) => fixtureEvent(1 + b * 5 + i, 5)));
      await Promise.all(Array.from({ length: 5 }, (_, i) => db.ingest(fixtureEvent(26 + i, 5))));
      await follower;
      expect(seen.slice(0, 26)).toEqual(Array.from({ length: 26 }, (_, i) => `x-${i}`));
      expect(new Set(seen).size).toBe(31);
    } finally {
      await db.close();
    }
  });

  it('refuses a position that is not one', async () => {
    const db = await EventDB.open({ inMemory: true });
    try {
      for (const after of ['-1', 'abc', '1.5', '', {}]) {
        let caught: unknown;
        try {
          db.changes({ after: after as string });
        } catch (err) {
          caught = err;
        }
        expect(isEventDBError(caught, 'INVALID_ARGUMENT')).toBe(true);
      }
      expect(() => db.changes({ pageSize: 0 })).toThrow(/pageSize/);
    } finally {
      await db.close();
    }
  });
});
