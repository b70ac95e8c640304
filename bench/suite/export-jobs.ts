// Export throughput next to a full scan of the same log: db.changes() alone, then to Parquet, NDJSON and ClickHouse.

import { EventDB } from '../../src/index.js';
import { findClickHouse, startClickHouse } from '../../test/export/clickhouse-server.js';
import type { SuiteConfig } from './config.js';
import type { Recorder } from './recorder.js';

/**
 * Reads the store at `dir` read-only (as `eventdb export` does) and times: the whole log through `changes()`, the
 * export to Parquet and to NDJSON files, and, when `config.clickhouse` and a clickhouse-server is installed, the
 * export into a ClickHouse started on loopback for the run. Each export row carries its ratio to the scan.
 */
export async function exportThroughput(config: SuiteConfig, rec: Recorder, dir: string): Promise<void> {
  const db = await EventDB.open({ path: dir, readOnly: true });
  try {
    const n = db.stats().records;
    const base = `export/${n}`;
    rec.log(`export of a log of ${n.toLocaleString('en-US')} records`);
    const scan = await rec.job(
      { id: `${base}/scan`, group: 'export', workload: 'changes(): the whole log in order, each record decoded', engine: 'eventdb', n, unit: 'records' },
      async () => {
        let stored = 0;
        for await (const change of db.changes({ pageSize: 5_000 })) if (change.position !== '') stored++;
        return { stored };
      },
      { runs: config.runs },
    );
    for (const format of ['parquet', 'ndjson'] as const) {
      const row = await rec.job(
        { id: `${base}/${format}`, group: 'export', workload: `exportTo({ format: '${format}' }): files, manifest`, engine: 'eventdb', n, unit: 'records' },
        async (out) => ({ stored: (await db.exportTo({ format, out })).exported }),
        { runs: config.runs },
      );
      rec.ratio(row.row, scan.row);
    }
    if (config.clickhouse) await clickhouse(rec, db, base, n, scan.row);
  } finally {
    await db.close();
  }
}

async function clickhouse(rec: Recorder, db: EventDB, base: string, n: number, scan: Parameters<Recorder['ratio']>[1]): Promise<void> {
  const found = findClickHouse();
  if ('missing' in found) {
    rec.notes.push(`Export to ClickHouse not measured: ${found.missing}.`);
    return;
  }
  const server = await startClickHouse(found.command);
  try {
    let table = 0;
    const row = await rec.job(
      {
        id: `${base}/clickhouse`,
        group: 'export',
        workload: 'exportTo({ to: clickhouse }): blocks of 100,000 rows over HTTP, loopback',
        engine: 'eventdb',
        n,
        unit: 'records',
      },
      async () => ({ stored: (await db.exportTo({ to: 'clickhouse', url: server.url, table: `bench_${table++}` })).exported }),
    );
    rec.ratio(row.row, scan);
    const version = await (await fetch(`${server.url}/?query=SELECT%20version()`)).text();
    rec.notes.push(`Export to ClickHouse: clickhouse-server ${version.trim()} on the same machine (its inserts and merges share the 2 cores).`);
  } finally {
    await server.stop();
  }
}
