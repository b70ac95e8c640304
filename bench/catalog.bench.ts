// Catalog: import of a generated feed (JSON and XML) — items/s and peak RSS — against parsing alone; query latency at that size.
// Run: npm run bench:catalog -- [--items=1000000] [--queries=5000]

import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { EventDB } from '../src/index.js';
import { mulberry32 } from '../src/demo/dataset.js';
import { decodeText } from '../src/catalog/feed-source.js';
import { readJsonFeed } from '../src/catalog/json-feed-reader.js';
import { readXmlFeed } from '../src/catalog/xml-feed-reader.js';
import { CATEGORIES, writeFeed } from './catalog-feed.js';

const { values } = parseArgs({ options: { items: { type: 'string', default: '1000000' }, queries: { type: 'string', default: '5000' } } });
const items = Number(values.items);
const root = mkdtempSync(join(tmpdir(), 'eventdb-catalog-bench-'));
const MB = 1024 * 1024;

/** Peak memory while `work` runs, sampled every 10 ms: RSS, and its anonymous (heap, buffers) and file-backed (LMDB map) parts. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number; peakAnon: number; peakFile: number; peakHeap: number }> {
  global.gc?.();
  const peak = { rss: 0, anon: 0, file: 0, heap: 0 };
  const sample = (): void => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    peak.heap = Math.max(peak.heap, process.memoryUsage().heapUsed);
    const status = readFileSync('/proc/self/status', 'utf8');
    peak.anon = Math.max(peak.anon, kb(status, 'RssAnon') * 1024);
    peak.file = Math.max(peak.file, kb(status, 'RssFile') * 1024);
  };
  const timer = setInterval(sample, 10);
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  clearInterval(timer);
  sample();
  return { value, ms, peakRss: peak.rss, peakAnon: peak.anon, peakFile: peak.file, peakHeap: peak.heap };
}

function kb(status: string, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

const rows: Record<string, string | number>[] = [];
const row = (workload: string, m: Awaited<ReturnType<typeof measured>>, extra: Record<string, string | number> = {}): void => {
  rows.push({
    workload,
    items,
    'items/s': Math.round((items / m.ms) * 1000),
    'peak RSS MB': Math.round(m.peakRss / MB),
    'RssAnon MB': Math.round(m.peakAnon / MB),
    'RssFile MB': Math.round(m.peakFile / MB),
    'heap MB': Math.round(m.peakHeap / MB),
    ...extra,
  });
};

const stores: Record<string, EventDB> = {};
for (const format of ['json', 'xml'] as const) {
  const file = join(root, `feed.${format}`);
  const bytes = await writeFeed(file, format, items);
  console.log(`${format} feed: ${items.toLocaleString()} items, ${(bytes / MB).toFixed(0)} MB`);
  const read = format === 'json' ? readJsonFeed : readXmlFeed;
  const parsed = await measured(async () => {
    let n = 0;
    for await (const batch of read(decodeText(createReadStream(file, { highWaterMark: 256 * 1024 })))) n += batch.length;
    return n;
  });
  row(`${format}: parse only (baseline)`, parsed);
  const db = await EventDB.open({ path: join(root, `store-${format}`) });
  const imported = await measured(() => db.catalog.importFeed(file));
  if (imported.value.imported !== items) throw new Error(`imported ${imported.value.imported} of ${items}`);
  row(`${format}: importFeed, durable`, imported, {
    'x parse only': Number((parsed.ms / imported.ms).toFixed(2)),
    'store MB': Math.round(db.stats().bytesOnDisk / MB),
  });
  stores[format] = db;
  rmSync(file);
}
console.log(`\ncatalog import, ${items.toLocaleString()} items (one run each; batches of 1,000, durable)`);
console.table(rows);

const db = stores['json']!;
await stores['xml']!.close();
const rnd = mulberry32(9);
const queries = Array.from({ length: 1000 }, () => {
  const low = Math.floor(rnd() * 450);
  return { category: CATEGORIES[Math.floor(rnd() * CATEGORIES.length)]!, priceMin: low, priceMax: low + 10 + Math.floor(rnd() * 40), limit: 20 };
});
let next = 0;
let returned = 0;
const bench = new Bench({ name: 'catalog queries', iterations: Number(values.queries), time: 0, warmupIterations: 200, throws: true });
bench.add('query { category, priceMin, priceMax, limit: 20 }', () => {
  returned += db.catalog.query(queries[next++ % queries.length]).items.length;
});
bench.add('query { category, brand, tag } (leapfrog of three indexes)', () => {
  const q = queries[next++ % queries.length]!;
  returned += db.catalog.query({ category: q.category, brand: `brand-${next % 200}`, tag: `tag-${next % 50}` }).items.length;
});
bench.add('query { priceMin, priceMax, limit: 20 } (all products)', () => {
  const q = queries[next++ % queries.length]!;
  returned += db.catalog.query({ priceMin: q.priceMin, priceMax: q.priceMax, limit: 20 }).items.length;
});
bench.add('facets {} (kept counts)', () => {
  db.catalog.facets();
});
bench.add('facets { category } (counts the ~10k matches)', () => {
  db.catalog.facets({ category: queries[next++ % queries.length]!.category });
});
bench.add('get(id)', () => {
  db.catalog.get(`sku-${String(next++ % items).padStart(7, '0')}`);
});
await bench.run();
console.log(`\ncatalog reads at ${items.toLocaleString()} products (ms; ${returned.toLocaleString()} items returned in all)`);
console.table(
  bench.tasks.map((t) => {
    const latency = t.result !== undefined && 'latency' in t.result ? t.result.latency : undefined;
    return { task: t.name, 'mean ms': latency?.mean.toFixed(4), 'p50 ms': latency?.p50.toFixed(4), 'p99 ms': latency?.p99.toFixed(4) };
  }),
);
await db.close();
rmSync(root, { recursive: true, force: true });
