// catalog.importFeed: streams a feed into batches of feed-item records, written with backpressure, then a replace's removals.

import type { IngestResult } from '../schema/results.js';
import { validateFeedItem } from '../schema/catalog-item.js';
import type { NormalizedRecord } from '../schema/record.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import { catalogSize } from './catalog-index.js';
import { feedItemRecord } from './catalog-records.js';
import { MalformedFeedError, type FeedItem, type FeedReader } from './feed-item.js';
import { decodeText, detectFormat, gunzipIfNeeded, openFeed, type FeedFormat, type FeedSource } from './feed-source.js';
import { resolveImportOptions, type ImportFeedOptions, type ImportResult, type ResolvedImportOptions } from './import-options.js';
import { readJsonFeed } from './json-feed-reader.js';
import { removeAbsent } from './replace-sync.js';
import { readXmlFeed } from './xml-feed-reader.js';

/** What an import needs from the store. */
export interface ImportContext {
  store: CatalogStore;
  /** The writer's `writeCatalog`: one transaction per call. */
  writeCatalog(records: readonly NormalizedRecord[]): Promise<IngestResult[]>;
  clock(): number;
}

const READERS: Record<FeedFormat, FeedReader> = { json: readJsonFeed, xml: readXmlFeed };

/**
 * Imports a feed. Items are validated as they stream in and written
 * `batchSize` at a time, one transaction per batch, with at most one batch
 * being committed while the next is read: memory stays bounded whatever the
 * feed's size. A malformed feed stops at the error (`result.error`); the
 * batches before it stay imported and a `replace` removes nothing.
 */
export async function importFeed(ctx: ImportContext, source: FeedSource, options: ImportFeedOptions = {}): Promise<ImportResult> {
  const opts = resolveImportOptions(options);
  const run = new ImportRun(ctx, opts, opts.time ?? ctx.clock());
  const sizeBefore = catalogSize(ctx.store);
  if (opts.replace) await ctx.store.clearMarks();
  const text = decodeText(gunzipIfNeeded(await openFeed(source)));
  const detected = opts.format === undefined ? await detect(text) : { format: opts.format, text };
  run.result.format = detected.format;
  if (detected.format === undefined) {
    run.result.error = { code: 'MALFORMED_FEED', message: detected.problem ?? 'the feed is empty or starts with neither "{" (JSON) nor "<" (XML)' };
    return run.result;
  }
  await run.read(READERS[detected.format](detected.text));
  if (opts.replace && run.result.error === undefined) {
    const refused = await removeAbsent(ctx, run, sizeBefore, opts.allowMassRemoval);
    if (refused !== undefined) run.result.error = refused;
  }
  run.progress();
  return run.result;
}

/** Detects the format; a feed whose first bytes cannot even be read (corrupt gzip) has none, with the reason. */
async function detect(text: AsyncIterable<string>): Promise<{ format: FeedFormat | undefined; text: AsyncIterable<string>; problem?: string }> {
  try {
    return await detectFormat(text);
  } catch (err) {
    if (!(err instanceof MalformedFeedError)) throw err;
    return { format: undefined, text, problem: err.message };
  }
}

/** One import's state: the batch being filled, the write in flight, the totals. */
export class ImportRun {
  readonly result: ImportResult = { format: undefined, read: 0, imported: 0, unchanged: 0, removed: 0, rejected: [] };
  private batch: NormalizedRecord[] = [];
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly ctx: ImportContext,
    readonly options: ResolvedImportOptions,
    readonly time: number,
  ) {}

  /** Reads every item, writing full batches as it goes; a malformed feed ends it with `result.error`. */
  async read(items: AsyncGenerator<FeedItem[]>): Promise<void> {
    try {
      for await (const chunk of items) {
        for (const item of chunk) {
          this.add(item);
          if (this.batch.length >= this.options.batchSize) await this.flush();
        }
      }
    } catch (err) {
      if (!(err instanceof MalformedFeedError)) throw err;
      this.result.error = { code: 'MALFORMED_FEED', message: err.message };
      if (err.line !== undefined) Object.assign(this.result.error, { line: err.line, column: err.column });
    }
    await this.flush();
    await this.inFlight;
  }

  private add(item: FeedItem): void {
    this.result.read++;
    const validation = validateFeedItem(item.fields);
    if (this.options.replace && validation.id !== undefined) this.ctx.store.mark(validation.id);
    if (validation.ok) this.batch.push(feedItemRecord(validation.id, validation.data, this.time));
    else
      this.result.rejected.push(
        validation.id === undefined ? { index: item.index, errors: validation.errors } : { index: item.index, id: validation.id, errors: validation.errors },
      );
  }

  /** Waits for the write in flight (backpressure), then starts writing the current batch. */
  async flush(): Promise<void> {
    await this.inFlight;
    const records = this.batch;
    this.batch = [];
    this.inFlight = records.length === 0 ? undefined : this.write(records, 'imported');
    // Awaited at the next flush; marked handled now so a failed write is not reported as unhandled meanwhile.
    this.inFlight?.catch(() => undefined);
  }

  /** Writes records and counts them: written ones under `counted`, the others as unchanged. */
  async write(records: readonly NormalizedRecord[], counted: 'imported' | 'removed'): Promise<void> {
    const results = await this.ctx.writeCatalog(records);
    for (const { status } of results) {
      if (status === 'accepted') this.result[counted]++;
      else if (counted === 'imported') this.result.unchanged++;
    }
    this.progress();
  }

  progress(): void {
    const { read, imported, unchanged, removed } = this.result;
    this.options.onProgress?.({ read, imported, unchanged, rejected: this.result.rejected.length, removed });
  }
}
