// Maps Snowplow web events (atomic.events CSV export) to eventdb events as NDJSON. Run: npx tsx examples/snowplow-web.ts [csv] [--out file(.gz)]

import { join } from 'node:path';
import { parse } from 'csv-parse';
import { argsOf, inputStream, ndjsonOutput } from './ndjson-output.js';

const DEFAULT_INPUT = join(import.meta.dirname, '..', '..', 'shared', 'realdata', 'snowplow-web-events', 'snowplow_web_events.csv');
const WEB_PAGE_CONTEXT = 'contexts_com_snowplowanalytics_snowplow_web_page_1_0_0';

/** Columns copied into `data` when not empty, under camel-cased names. */
const DATA_COLUMNS = [
  'event',
  'app_id',
  'platform',
  'page_url',
  'page_title',
  'page_referrer',
  'refr_medium',
  'refr_source',
  'geo_country',
  'geo_city',
  'geo_timezone',
  'br_lang',
  'useragent',
  'collector_tstamp',
  'domain_sessionidx',
] as const;

type SnowplowRow = Record<string, string>;

/**
 * One Snowplow event → one eventdb event. `user_id` in this data set holds
 * test-case labels ("dupe: event_id same collector_tstamp"), not people: as
 * userIds they would stitch unrelated devices into one profile, so they go
 * to `data.edgeCase` instead.
 */
export function toEvent(row: SnowplowRow): Record<string, unknown> {
  const profileId = row['domain_userid'] || row['network_userid'] || undefined;
  const sessionId = row['domain_sessionid'] || (profileId !== undefined && row['domain_sessionidx'] ? `${profileId}:${row['domain_sessionidx']}` : undefined);
  const event: Record<string, unknown> = {
    eventId: row['event_id'],
    profileId,
    sessionId,
    pageId: webPageId(row[WEB_PAGE_CONTEXT]),
    eventName: row['event_name'] || row['event'],
    timestamp: isoUtc(row['derived_tstamp'] || row['collector_tstamp']),
    data: dataOf(row),
  };
  // Leave out what the row lacks; eventdb rejects a missing required field with a clear error rather than guessing.
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined && value !== ''));
}

function dataOf(row: SnowplowRow): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const column of DATA_COLUMNS) if (row[column]) data[camel(column)] = row[column];
  if (row['user_id']) data['edgeCase'] = row['user_id'];
  for (const [column, value] of Object.entries(row)) {
    if (column.startsWith('unstruct_event_') && value) data['unstruct'] = parseJson(value);
  }
  return data;
}

/** `2021-03-03 21:27:32.695` (Snowplow timestamps are UTC) → `2021-03-03T21:27:32.695Z`. */
export function isoUtc(value: string | undefined): string | undefined {
  return value ? `${value.trim().replace(' ', 'T')}Z` : undefined;
}

function webPageId(context: string | undefined): string | undefined {
  if (!context) return undefined;
  const parsed = parseJson(context) as { id?: unknown }[] | undefined;
  const id = Array.isArray(parsed) ? parsed[0]?.id : undefined;
  return typeof id === 'string' ? id : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

async function main(): Promise<void> {
  const { input, out } = argsOf(process.argv.slice(2), DEFAULT_INPUT);
  const output = ndjsonOutput(out);
  let count = 0;
  for await (const row of inputStream(input).pipe(parse({ columns: true })) as AsyncIterable<SnowplowRow>) {
    await output.write(toEvent(row));
    count++;
  }
  await output.close();
  process.stderr.write(`snowplow-web: ${count.toLocaleString('en-US')} events mapped\n`);
}

if (process.argv[1] === import.meta.filename) await main();
