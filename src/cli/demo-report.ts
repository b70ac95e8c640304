// What `eventdb demo` found, and how it is printed: readable text, or one JSON object.

import type { BatchResult, ProductEntry, Profile, Stats, StoredRecord } from '../index.js';
import { count, indent, megabytes, seconds, table } from './format.js';

/** Totals of one ingest run, summed over its batches. */
export interface IngestTally {
  batchSize: number;
  /** Most `ingestBatch` calls pending at once. */
  maxInFlight: number;
  elapsedMs: number;
  accepted: number;
  duplicates: number;
  /** Duplicates whose content differed from the stored record. */
  conflicts: number;
  rejected: number;
  /** The first three rejections, indexed into the whole dataset. */
  firstRejections: BatchResult['rejected'];
}

/** Everything the demo reports. */
export interface DemoReport {
  db: string;
  fresh: boolean;
  generated: { events: number; productPayloads: number; records: number; seed: number; generateMs: number };
  /** Records the store held before this run. */
  recordsBefore: number;
  ingest: IngestTally;
  stats: Stats;
  quarantined: number;
  example: {
    profileId: string | undefined;
    profile: Profile | undefined;
    events: StoredRecord[];
    event: StoredRecord | undefined;
    product: ProductEntry | undefined;
  };
}

/** Prints the report to stdout: one JSON object with `json`, readable sections otherwise. */
export function printDemoReport(report: DemoReport, json: boolean): void {
  const text = json ? JSON.stringify(toJson(report), null, 2) : toText(report);
  process.stdout.write(`${text}\n`);
}

function recordsPerSecond(report: DemoReport): number {
  return Math.round(report.generated.records / Math.max(report.ingest.elapsedMs / 1000, 1e-9));
}

/** A sentence on what the store held before, or undefined for a store that started empty. */
function priorNote(report: DemoReport): string | undefined {
  if (report.recordsBefore === 0) return undefined;
  if (report.ingest.accepted === 0) return 'the store already had these events: eventId dedupe is permanent, so nothing new was stored';
  return `the store already held ${count(report.recordsBefore)} records before this run`;
}

function toJson(report: DemoReport): object {
  const { ingest, example } = report;
  return {
    db: report.db,
    fresh: report.fresh,
    generated: { ...report.generated, generateMs: Math.round(report.generated.generateMs) },
    recordsBefore: report.recordsBefore,
    alreadyStored: report.recordsBefore > 0 && ingest.accepted === 0,
    note: priorNote(report) ?? null,
    ingest: { ...ingest, elapsedMs: Math.round(ingest.elapsedMs), recordsPerSecond: recordsPerSecond(report) },
    stats: { ...report.stats, bytesOnDiskMB: Number((report.stats.bytesOnDisk / 1024 / 1024).toFixed(1)) },
    quarantined: report.quarantined,
    example: {
      profileId: example.profileId ?? null,
      profile: example.profile ?? null,
      events: example.events,
      event: example.event ?? null,
      product: example.product ?? null,
    },
  };
}

function toText(report: DemoReport): string {
  const sections = [headerSection(report), ingestSection(report), rejectionsSection(report), statsSection(report), exampleSection(report)];
  return sections.filter((section) => section !== '').join('\n\n');
}

function headerSection({ generated, db, fresh }: DemoReport): string {
  return [
    `eventdb demo: ${count(generated.events)} events + ${generated.productPayloads} product payloads into ${db}${fresh ? ' (fresh)' : ''}`,
    `Generated ${count(generated.records)} records in ${seconds(generated.generateMs)} (seed ${generated.seed}; about 5% re-sent, 1% invalid)`,
  ].join('\n');
}

function ingestSection(report: DemoReport): string {
  const { ingest } = report;
  const lines = [
    `Ingested ${count(report.generated.records)} records in ${seconds(ingest.elapsedMs)}: ${count(recordsPerSecond(report))} records/s` +
      ` (batches of ${count(ingest.batchSize)}, ${ingest.maxInFlight} in flight)`,
    `  accepted    ${count(ingest.accepted).padStart(9)}`,
    `  duplicates  ${count(ingest.duplicates).padStart(9)}${ingest.conflicts > 0 ? `  (${count(ingest.conflicts)} with different content)` : ''}`,
    `  rejected    ${count(ingest.rejected).padStart(9)}`,
  ];
  const note = priorNote(report);
  if (note !== undefined) lines.push(`Note: ${note}.`);
  return lines.join('\n');
}

function rejectionsSection({ ingest }: DemoReport): string {
  if (ingest.firstRejections.length === 0) return '';
  const lines = ['First rejections:'];
  for (const rejection of ingest.firstRejections) {
    const issues = rejection.errors.map((issue) => `${issue.code} at "${issue.path}": ${issue.message}`).join('; ');
    lines.push(`  record ${rejection.index}${rejection.eventId === undefined ? '' : ` (${rejection.eventId})`}: ${issues}`);
  }
  return lines.join('\n');
}

function statsSection({ stats, quarantined }: DemoReport): string {
  const rows: [string, string][] = [
    ['records', count(stats.records)],
    ['events', count(stats.events)],
    ['product updates', count(stats.productUpdates)],
    ['products', count(stats.products)],
    ['duplicates', count(stats.duplicates)],
    ['conflicts', count(stats.conflicts)],
    ['rejected', count(stats.rejected)],
    ['quarantined', count(stats.quarantined)],
    ['on disk', megabytes(stats.bytesOnDisk)],
  ];
  const width = Math.max(...rows.map(([, value]) => value.length));
  const body = rows.map(([label, value]) => `  ${label.padEnd(16)}${value.padStart(width)}`).join('\n');
  return `Store totals, all runs (db.stats()):\n${body}\nQuarantine: ${count(quarantined)} rejected records kept for inspection and re-submission`;
}

function exampleSection({ example }: DemoReport): string {
  const parts: string[] = [];
  if (example.profileId !== undefined) {
    const rows = example.events.map((event) => [event.timestamp, event.eventName ?? '', event.sessionId ?? '', event.eventId]);
    parts.push(`Profile ${example.profileId}, first ${example.events.length} events (db.events({ profileId, limit: 10 })):`);
    parts.push(indent(table(['timestamp', 'eventName', 'sessionId', 'eventId'], rows)));
  }
  if (example.profile !== undefined) {
    parts.push(
      `\ndb.getProfile({ profileId: '${example.profileId}' }) — the unified profile:\n${indent(JSON.stringify(profileSummary(example.profile), null, 2))}`,
    );
  }
  if (example.event !== undefined) {
    parts.push(`\ndb.getEvent('${example.event.eventId}'):\n${indent(JSON.stringify(example.event, null, 2))}`);
  }
  if (example.product !== undefined) {
    parts.push(`\ndb.catalog.get('${example.product.id}'):\n${indent(JSON.stringify(example.product, null, 2))}`);
  }
  return parts.join('\n');
}

/** The profile with its longest lists cut, so it reads on one screen. */
function profileSummary(profile: Profile): Record<string, unknown> {
  const { eventCounts, attributes, ...rest } = profile;
  const topNames = Object.entries(eventCounts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5);
  return { ...rest, eventCounts: Object.fromEntries(topNames), attributes: Object.keys(attributes).length };
}
