// Export into a real ClickHouse (clickhouse-server from Debian, started here on loopback with a throw-away
// config): a 100k-event store arrives with eventdb's own counts; a sink SIGKILLed mid-run and run again leaves
// every record once, no gaps; a partly written last block is completed without duplicates.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB, isEventDBError } from '../../src/index.js';
import { createTableSql, toClickHouseRow } from '../../src/export/clickhouse-schema.js';
import { toExportRow } from '../../src/export/export-row.js';
import { findClickHouse, query, startClickHouse, type RunningClickHouse } from './clickhouse-server.js';
import { eventdbCounts, fillStore, fixtureEvent } from './export-fixture.js';
import { nodeArgs } from '../helpers/child-build.js';

const EVENTS = 100_000;
const CHILD = join(import.meta.dirname, 'clickhouse-export-child.ts');
const found = findClickHouse();
if ('missing' in found) console.warn(`ClickHouse export tests skipped: ${found.missing}`);

describe.skipIf('missing' in found)('export to ClickHouse', () => {
  let dir = '';
  let server: RunningClickHouse;
  let db: EventDB;
  let records = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventdb-ch-store-'));
    const [started] = await Promise.all([
      startClickHouse((found as { command: string[] }).command),
      (async () => {
        db = await EventDB.open({ path: dir });
        await fillStore(db, EVENTS);
        records = db.stats().records;
      })(),
    ]);
    server = started;
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const count = async (table: string): Promise<{ n: number; d: number; lo: number; hi: number }> => {
    const [row] = await query<Record<string, string>>(server.url, `SELECT count() n, uniqExact(position) d, min(position) lo, max(position) hi FROM ${table}`);
    return { n: Number(row!['n']), d: Number(row!['d']), lo: Number(row!['lo']), hi: Number(row!['hi']) };
  };
  const asMap = (rows: Record<string, string>[]): Map<string, number> => new Map(rows.map((row) => [row['k']!, Number(row['n'])]));

  it('a sink killed mid-run and run again leaves every record once; the table answers as eventdb does', { timeout: 120_000 }, async () => {
    const { version } = (await query<{ version: string }>(server.url, 'SELECT version() AS version'))[0]!;
    console.log(`ClickHouse ${version} on ${server.url}`);
    const child = spawn(process.execPath, [...nodeArgs(CHILD), dir, server.url, 'events', '5000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Killed once a part of the log has arrived, while it inserts the rest.
    let arrived = 0;
    for (const deadline = Date.now() + 60_000; arrived < 30_000 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      arrived = await count('events')
        .then((c) => c.n)
        .catch(() => 0);
    }
    child.kill('SIGKILL');
    await exited;
    const killed = await count('events');
    console.log(`sink killed with ${killed.n} of ${records} records in ClickHouse`);
    expect(killed.n).toBeLessThan(records);
    expect(killed.n).toBe(killed.d);
    const rerun = await db.exportTo({ to: 'clickhouse', url: server.url, table: 'events', blockRows: 20_000 });
    expect(rerun.lastPosition).toBe(String(records));
    expect(await count('events')).toEqual({ n: records, d: records, lo: 1, hi: records });
    // A third run finds nothing to do.
    expect((await db.exportTo({ to: 'clickhouse', url: server.url })).exported).toBe(0);

    const ours = eventdbCounts(db);
    const events = `events WHERE kind = 'event'`;
    expect(asMap(await query(server.url, `SELECT eventName k, count() n FROM ${events} GROUP BY eventName`))).toEqual(ours.byName);
    expect(asMap(await query(server.url, `SELECT profileId k, count() n FROM ${events} GROUP BY profileId`))).toEqual(ours.byProfile);
    expect(asMap(await query(server.url, `SELECT toString(toDate(timestamp)) k, count() n FROM ${events} GROUP BY k`))).toEqual(ours.byDay);
    const x9 = db.getEvent('x-9')!;
    const [row] = await query<Record<string, string>>(server.url, `SELECT timestampMs, data FROM events WHERE eventId = 'x-9'`);
    expect(row).toEqual({ timestampMs: String(x9.time), data: JSON.stringify(x9.data) });
  });

  it('completes a last block the server wrote only in part, inserting each missing record once', { timeout: 60_000 }, async () => {
    const small = await EventDB.open({ inMemory: true });
    const client = createClient({ url: server.url });
    try {
      await fillStore(small, 5_000);
      const total = small.stats().records;
      await client.command({ query: createTableSql('default.partial') });
      // Positions 1..3000 whole, then a block 3001..4000 of which only some rows landed (as when a block split
      // across monthly partitions is cut short by a server crash).
      const rows = [];
      for await (const change of small.changes({ limit: 4_000 })) {
        const position = Number(change.position);
        if (position <= 3_000 || position % 3 === 0) rows.push(toClickHouseRow(toExportRow(change)));
      }
      await client.insert({ table: 'default.partial', values: rows, format: 'JSONEachRow' });
      const filled = await small.exportTo({ to: 'clickhouse', url: server.url, table: 'partial', blockRows: 1_000 });
      expect(filled).toMatchObject({ resumedAfter: '3999', lastPosition: String(total), exported: total - rows.length });
      expect(await count('partial')).toEqual({ n: total, d: total, lo: 1, hi: total });
    } finally {
      await client.close();
      await small.close();
    }
  });

  it('follows a live log: records committed while it runs arrive once each', { timeout: 60_000 }, async () => {
    const live = await EventDB.open({ inMemory: true });
    const stop = new AbortController();
    try {
      await fillStore(live, 2_000);
      const first = live.stats().records;
      const following = live.exportTo({ to: 'clickhouse', url: server.url, table: 'followed', follow: true, pollIntervalMs: 50, signal: stop.signal });
      const arrived = async (n: number): Promise<void> => {
        for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
          if ((await count('followed').catch(() => ({ n: 0 }))).n >= n) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      // The first pass is in; what follows is committed after it.
      await arrived(first);
      for (let b = 0; b < 5; b++) {
        await live.ingestBatch(Array.from({ length: 300 }, (_, i) => fixtureEvent(10_000 + b * 300 + i, 50)));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      const total = live.stats().records;
      await arrived(total);
      stop.abort();
      expect((await following).lastPosition).toBe(String(total));
      expect(await count('followed')).toEqual({ n: total, d: total, lo: 1, hi: total });
    } finally {
      stop.abort();
      await live.close();
    }
  });

  it('says clearly when the server cannot be reached', async () => {
    const err = await db.exportTo({ to: 'clickhouse', url: 'http://127.0.0.1:9' }).catch((e: unknown) => e);
    expect(isEventDBError(err, 'EXPORT_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/cannot be reached/);
  });
});
