// Exports the log into a ClickHouse table over HTTP, exactly once: each run resumes after what the table holds.

import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { errors } from '../errors.js';
import { pause } from '../changes/change-feed.js';
import { positionOf, seqOfPosition } from '../changes/position.js';
import { toExportRow, type ExportRow } from './export-row.js';
import type { ClickHouseExportOptions, ExportResult } from './export-options.js';
import { ProgressMeter, sizeOption, type ChangeSource } from './export-progress.js';
import { createTableSql, toClickHouseRow } from './clickhouse-schema.js';

const DEFAULT_BLOCK_ROWS = 100_000;
/** Below ClickHouse's default max_insert_block_size (1,048,576): an INSERT of at most this many rows is one block. */
const MAX_BLOCK_ROWS = 1_000_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Creates the table when missing, reads the last position it holds, and inserts the records after it in order,
 * one INSERT of at most `blockRows` rows at a time, each awaited before the next. An INSERT of one block is
 * written whole or not at all, so a sink killed mid-run leaves whole blocks; the re-run also re-reads the
 * positions present in the last block's window and skips them, so even a block the server wrote partly (split
 * across monthly partitions, then the server died) ends with every record once.
 */
export async function exportToClickHouse(changes: ChangeSource, options: ClickHouseExportOptions): Promise<ExportResult> {
  const blockRows = sizeOption(options.blockRows, 'blockRows', MAX_BLOCK_ROWS, DEFAULT_BLOCK_ROWS);
  const pollIntervalMs = sizeOption(options.pollIntervalMs, 'pollIntervalMs', 3_600_000, 1_000);
  const table = identifier(options.table ?? 'events', 'table');
  const database = identifier(options.database ?? 'default', 'database');
  if (typeof options.url !== 'string' || options.url === '') throw errors.invalidArgument('options.url', 'must be the URL of a ClickHouse HTTP interface');
  const target = `ClickHouse at ${options.url} (${database}.${table})`;
  const client = createClient({
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    database,
    // Failures reach the caller as EXPORT_FAILED errors; the client's own log would print them a second time.
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    await checkReachable(client, target);
    await run(client, target, `${database}.${table}`, createTableSql(`${database}.${table}`));
    const resume = await resumeState(client, target, `${database}.${table}`, blockRows, options.after);
    const meter = new ProgressMeter(options.onProgress);
    let block: ExportRow[] = [];
    const insert = async (): Promise<void> => {
      if (block.length === 0) return;
      const rows = block;
      block = [];
      try {
        await client.insert({ table: `${database}.${table}`, values: rows.map(toClickHouseRow), format: 'JSONEachRow' });
      } catch (err) {
        throw errors.exportFailed(target, `an INSERT of ${rows.length} rows failed (${(err as Error).message})`, err);
      }
      meter.add(rows.length, String(rows.at(-1)!.position));
    };
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    // One pass: the log after `after` up to its end as the pass starts, skipping positions the table holds.
    const pass = async (after: number, present: ReadonlySet<number>): Promise<number> => {
      let last = after;
      for await (const change of changes({ after: positionOf(after), pageSize: 5_000, ...signal })) {
        last = Number(change.position);
        if (present.has(last)) continue;
        block.push(toExportRow(change));
        if (block.length >= blockRows) await insert();
      }
      await insert();
      return last;
    };
    let after = await pass(resume.after, resume.present);
    // Following: a pass whenever the log has grown, each exactly once like the first.
    while (options.follow === true && options.signal?.aborted !== true) {
      await pause(pollIntervalMs, options.signal);
      after = await pass(after, new Set());
    }
    const progress = meter.end();
    return {
      exported: progress.exported,
      resumedAfter: positionOf(Math.max(resume.after, resume.last)),
      // Rows filled into the last block's window lie before the table's last position: the larger one is the end.
      lastPosition: positionOf(Math.max(resume.after, resume.last, Number(progress.position ?? 0))),
      elapsedMs: progress.elapsedMs,
      ratePerSec: progress.ratePerSec,
    };
  } finally {
    await client.close();
  }
}

/** Where to resume: after the table's last position, less one block's window whose present positions are skipped. */
async function resumeState(
  client: ClickHouseClient,
  target: string,
  table: string,
  blockRows: number,
  after: string | undefined,
): Promise<{ after: number; last: number; present: Set<number> }> {
  const [stats] = await select<{ rows: string; first: string; last: string }>(
    client,
    target,
    `SELECT count() AS rows, min(position) AS first, max(position) AS last FROM ${table}`,
  );
  const last = Number(stats?.last ?? 0);
  if (Number(stats?.rows ?? 0) === 0) return { after: seqOfPosition(after), last: 0, present: new Set() };
  if (after !== undefined && seqOfPosition(after) < last) {
    throw errors.invalidArgument('after', `${after} is before ${last}, the last position ${target} holds; exporting from there would insert records twice`);
  }
  // Not before the table's first row: an export that started with `after` leaves the records before it out.
  const from = Math.max(Number(stats?.first ?? 1) - 1, last - Math.max(blockRows, DEFAULT_BLOCK_ROWS));
  const rows = await select<{ position: string }>(client, target, `SELECT position FROM ${table} WHERE position > ${from}`);
  return { after: Math.max(from, after === undefined ? 0 : seqOfPosition(after)), last, present: new Set(rows.map((row) => Number(row.position))) };
}

async function checkReachable(client: ClickHouseClient, target: string): Promise<void> {
  const ping = await client.ping();
  if (!ping.success) throw errors.exportFailed(target, `the server cannot be reached (${ping.error.message})`, ping.error);
}

async function run(client: ClickHouseClient, target: string, table: string, sql: string): Promise<void> {
  try {
    await client.command({ query: sql });
  } catch (err) {
    throw errors.exportFailed(target, `creating ${table} failed (${(err as Error).message})`, err);
  }
}

async function select<T>(client: ClickHouseClient, target: string, sql: string): Promise<T[]> {
  try {
    return await (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  } catch (err) {
    throw errors.exportFailed(target, `a query failed (${(err as Error).message})`, err);
  }
}

function identifier(value: unknown, name: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) throw errors.invalidArgument(`options.${name}`, 'must be a plain identifier (letters, digits, _)');
  return value;
}
