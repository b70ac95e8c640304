// Maps the UCI Online Retail invoice lines (CSV) to eventdb purchase events as NDJSON. Run: npx tsx examples/uci-online-retail.ts [csv(.gz)] [--out file(.gz)]

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { argsOf, inputStream, ndjsonOutput } from './ndjson-output.js';

const DEFAULT_INPUT = join(import.meta.dirname, '..', '..', 'shared', 'realdata', 'online-retail-uci', 'online-retail-all-by-day-concat.csv.gz');

/** One CSV row, as published. */
interface RetailRow {
  InvoiceNo: string;
  StockCode: string;
  Description: string;
  Quantity: string;
  InvoiceDate: string;
  UnitPrice: string;
  CustomerID: string;
  Country: string;
}

/**
 * One invoice line → one event. eventId hashes the whole row, so the data
 * set's exact duplicate rows come out as duplicates. Invoices numbered `C…`
 * are cancellations (`order_cancelled`), every other line a `purchase`.
 */
export function toEvent(row: RetailRow): Record<string, unknown> {
  const values = [row.InvoiceNo, row.StockCode, row.Description, row.Quantity, row.InvoiceDate, row.UnitPrice, row.CustomerID, row.Country];
  const customer = row.CustomerID.replace(/\.0$/, '').trim();
  const quantity = Number(row.Quantity);
  const unitPrice = Number(row.UnitPrice);
  const data: Record<string, unknown> = {
    stockCode: row.StockCode,
    quantity,
    unitPrice,
    amount: Math.round(quantity * unitPrice * 100) / 100,
    country: row.Country,
  };
  const description = row.Description.trim();
  if (description !== '') data['description'] = description;
  return {
    eventId: `uci-${createHash('sha256').update(values.join('\u001f')).digest('hex').slice(0, 32)}`,
    // No CustomerID: the invoice is the only identity there is, so each such invoice is its own anonymous profile.
    ...(customer === '' ? { profileId: `invoice-${row.InvoiceNo}` } : { userId: customer }),
    sessionId: row.InvoiceNo,
    eventName: row.InvoiceNo.startsWith('C') ? 'order_cancelled' : 'purchase',
    timestamp: londonTimestamp(row.InvoiceDate),
    data,
  };
}

const offsetCache = new Map<string, string>();
const LONDON = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeZoneName: 'longOffset' });

/**
 * `2011-06-01 08:26:00` (UK wall-clock time, as the retailer recorded it) →
 * `2011-06-01T08:26:00+01:00`: the offset is Europe/London's at that moment
 * (GMT in winter, BST in summer).
 */
export function londonTimestamp(local: string): string {
  const [date, time = '00:00:00'] = local.trim().split(' ');
  const hms = time.length === 5 ? `${time}:00` : time.padStart(8, '0');
  const key = `${date} ${hms.slice(0, 2)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    const wallAsUtc = Date.parse(`${date}T${hms}Z`);
    // The offset at the wall time read as UTC is right except within an hour of a change; check it once more.
    const first = offsetAt(wallAsUtc);
    offset = offsetAt(wallAsUtc - minutesOf(first) * 60_000);
    offsetCache.set(key, offset);
  }
  return `${date}T${hms}${offset === '+00:00' ? 'Z' : offset}`;
}

function offsetAt(utcMs: number): string {
  const name = LONDON.formatToParts(utcMs).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

function minutesOf(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

async function main(): Promise<void> {
  const { input, out } = argsOf(
    process.argv.slice(2),
    DEFAULT_INPUT,
    'the repository keeps its first 2,000 lines: test/fixtures/realdata/online-retail-uci/online-retail-first-2000.csv.gz',
  );
  const output = ndjsonOutput(out);
  const rows = inputStream(input).pipe(parse({ columns: true, skip_empty_lines: true }));
  let count = 0;
  for await (const row of rows as AsyncIterable<RetailRow>) {
    await output.write(toEvent(row));
    count++;
  }
  await output.close();
  process.stderr.write(`uci-online-retail: ${count.toLocaleString('en-US')} invoice lines mapped\n`);
}

if (process.argv[1] === import.meta.filename) await main();
