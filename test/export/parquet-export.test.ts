// File export read back by DuckDB: its counts per eventName, per profile and per day equal eventdb's own answers;
// a re-run writes nothing twice, a killed run's leftovers go, and the manifest names every row once.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB, isEventDBError } from '../../src/index.js';
import { eventdbCounts, fillStore, fixtureEvent } from './export-fixture.js';

const EVENTS = 20_000;
const root = mkdtempSync(join(tmpdir(), 'eventdb-export-'));
let db: EventDB;
let duck: DuckDBConnection;

beforeAll(async () => {
  db = await EventDB.open({ inMemory: true });
  await fillStore(db, EVENTS);
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  await db.close();
  rmSync(root, { recursive: true, force: true });
});

async function rows<T>(sql: string): Promise<T[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as T[];
}

function asMap(list: { k: string; n: number | string }[]): Map<string, number> {
  return new Map(list.map((row) => [row.k, Number(row.n)]));
}

describe('export to Parquet, read by DuckDB', () => {
  it('holds every record once, with counts per eventName, profile and day equal to eventdb', { timeout: 60_000 }, async () => {
    const out = join(root, 'parquet');
    // Small row groups and files, so rotation and several row groups per file happen.
    const first = await db.exportTo({ format: 'parquet', out, rowGroupRows: 4_000, maxFileBytes: 400_000 });
    const stats = db.stats();
    expect(first.exported).toBe(stats.records);
    expect(first.files!.length).toBeGreaterThan(1);
    const files = `read_parquet('${out}/*.parquet')`;
    const [total] = await rows<{ n: string; d: string; lo: string; hi: string }>(
      `SELECT count(*) n, count(DISTINCT position) d, min(position) lo, max(position) hi FROM ${files}`,
    );
    expect(total).toEqual({ n: String(stats.records), d: String(stats.records), lo: '1', hi: String(stats.records) });
    const kinds = asMap(await rows(`SELECT kind k, count(*) n FROM ${files} GROUP BY kind`));
    expect(kinds).toEqual(
      new Map([
        ['event', stats.events],
        ['product', stats.productUpdates],
        ['attributes', stats.attributeUpdates],
        ['feedItem', stats.feedItems],
      ]),
    );
    const ours = eventdbCounts(db);
    const events = `${files} WHERE kind = 'event'`;
    expect(asMap(await rows(`SELECT eventName k, count(*) n FROM ${events} GROUP BY 1`))).toEqual(ours.byName);
    expect(asMap(await rows(`SELECT profileId k, count(*) n FROM ${events} GROUP BY 1`))).toEqual(ours.byProfile);
    expect(asMap(await rows(`SELECT strftime(timestamp AT TIME ZONE 'UTC', '%Y-%m-%d') k, count(*) n FROM ${events} GROUP BY 1`))).toEqual(ours.byDay);
    // The timestamp column is a timestamp that keeps milliseconds; data is JSON text.
    const [one] = await rows<{ ms: string; amount: string; tstype: string }>(
      `SELECT epoch_ms(timestamp) ms, json_extract_string(data, '$.amount') amount, typeof(timestamp) AS tstype FROM ${files} WHERE eventId = 'x-7'`,
    );
    const x7 = db.getEvent('x-7')!;
    expect(one).toEqual({ ms: String(x7.time), amount: JSON.stringify(x7.data!['amount']), tstype: 'TIMESTAMP WITH TIME ZONE' });

    // A re-run exports nothing; new records go to a new file after the manifest's last position.
    expect((await db.exportTo({ format: 'parquet', out })).exported).toBe(0);
    await db.ingestBatch(Array.from({ length: 500 }, (_, i) => fixtureEvent(EVENTS + i, 500)));
    const second = await db.exportTo({ format: 'parquet', out });
    expect(second).toMatchObject({ exported: 500, resumedAfter: String(stats.records), lastPosition: String(stats.records + 500) });
    const [after] = await rows<{ n: string; d: string }>(`SELECT count(*) n, count(DISTINCT position) d FROM ${files}`);
    expect(after).toEqual({ n: String(stats.records + 500), d: String(stats.records + 500) });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      files: { name: string; firstPosition: string; lastPosition: string; rows: number }[];
    };
    expect(manifest.files.map((f) => f.name).sort()).toEqual(
      readdirSync(out)
        .filter((n) => n.endsWith('.parquet'))
        .sort(),
    );
    let expectedFirst = 1;
    for (const file of manifest.files) {
      expect(Number(file.firstPosition)).toBe(expectedFirst);
      expect(Number(file.lastPosition) - Number(file.firstPosition) + 1).toBe(file.rows);
      expectedFirst = Number(file.lastPosition) + 1;
    }
  });

  it('removes what a killed run left (a temp file, a file the manifest does not name) and continues once', async () => {
    const out = join(root, 'ndjson');
    const full = await db.exportTo({ format: 'ndjson', out, rowGroupRows: 5_000, maxFileBytes: 1_000_000 });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: { name: string; lastPosition: string }[]; lastPosition: string };
    // As if killed: the last file renamed into place but the manifest not yet updated, and a temp file half-written.
    const dropped = manifest.files.pop()!;
    manifest.lastPosition = manifest.files.at(-1)!.lastPosition;
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(out, '.tmp-999-123.ndjson'), '{"half":');
    const rerun = await db.exportTo({ format: 'ndjson', out, rowGroupRows: 5_000, maxFileBytes: 1_000_000 });
    expect(rerun.resumedAfter).toBe(manifest.lastPosition);
    expect(rerun.lastPosition).toBe(full.lastPosition);
    expect(existsSync(join(out, '.tmp-999-123.ndjson'))).toBe(false);
    expect(existsSync(join(out, dropped.name))).toBe(true);
    const [count] = await rows<{ n: string; d: string; ms: string }>(
      `SELECT count(*) n, count(DISTINCT position) d, max(epoch_ms(timestamp::TIMESTAMPTZ)) ms FROM read_json_auto('${out}/*.ndjson')`,
    );
    expect(count!.n).toBe(full.lastPosition);
    expect(count!.d).toBe(full.lastPosition);
    // Going back before the manifest's end would write records twice: refused.
    const refused = await db.exportTo({ format: 'ndjson', out, after: '5' }).catch((err: unknown) => err);
    expect(isEventDBError(refused, 'INVALID_ARGUMENT')).toBe(true);
    const mixed = await db.exportTo({ format: 'parquet', out }).catch((err: unknown) => err);
    expect(isEventDBError(mixed, 'INVALID_ARGUMENT')).toBe(true);
  });
});
