// Fixtures for the bulk-ingest tests: generated files with bad lines, the ingestBatch baseline, store comparisons.

import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { generateEvents, EVENT_NAMES } from '../../src/demo/dataset.js';
import type { EventDB, Stats } from '../../src/index.js';

/** One non-blank line of a generated file: its 1-based line number, its text, and what ingestBatch gets for it. */
export interface Line {
  lineNo: number;
  text: string;
  /** The parsed record, or the raw text when the line is not JSON. */
  value: unknown;
}

export interface Fixture {
  /** The whole file, blank lines included. */
  text: string;
  lines: Line[];
  profileIds: string[];
}

const NOT_JSON = ['{"eventId": "cut-off', 'hello world', '{"eventId":"x",}', "{'single': 'quotes'}"];

/**
 * `n` generated records (5% re-sent, 1% invalid) as NDJSON, plus a non-JSON
 * line every `n / 50` lines, some blank lines and one CRLF ending.
 */
export function makeFixture(n: number, seed: number): Fixture {
  const records = generateEvents(n, { seed, duplicateFraction: 0.05, badFraction: 0.01, profiles: Math.max(10, n / 10) });
  const texts: string[] = [];
  const every = Math.max(7, Math.floor(n / 50));
  records.forEach((record, i) => {
    if (i % every === 3) texts.push(NOT_JSON[((i / every) % NOT_JSON.length) | 0]!);
    if (i % every === 5) texts.push(i % 2 === 0 ? '' : '   ');
    texts.push(JSON.stringify(record));
  });
  const lines: Line[] = [];
  texts.forEach((text, i) => {
    if (text.trim() === '') return;
    lines.push({ lineNo: i + 1, text, value: parseOrRaw(text) });
  });
  // One CRLF line ending, on a valid line: the reader drops the \r.
  const crlf = texts.findIndex((text, i) => i > 10 && text.startsWith('{"eventId"') && !text.includes('revenue'));
  texts[crlf] = `${texts[crlf]}\r`;
  const profileIds = [...new Set(records.map((r) => r['profileId']).filter((p): p is string => typeof p === 'string'))];
  return { text: `${texts.join('\n')}\n`, lines, profileIds };
}

function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Writes the fixture as NDJSON, and gzipped under a name without `.gz` (gzip is told by content). */
export function writeFixtureFiles(fixture: Fixture, base: string): { ndjson: string; gzip: string; json: string } {
  const files = { ndjson: `${base}.ndjson`, gzip: `${base}.data`, json: `${base}.json` };
  writeFileSync(files.ndjson, fixture.text);
  writeFileSync(files.gzip, gzipSync(fixture.text, { level: 1 }));
  // A JSON array of the same records; a non-JSON line becomes a JSON string (rejected as NOT_AN_OBJECT).
  writeFileSync(files.json, `[\n${fixture.lines.map((line) => JSON.stringify(line.value)).join(',\n')}\n]\n`);
  return files;
}

/** ingestBatch of the same records, in order, in batches: the reference state. Returns the rejected line numbers. */
export async function ingestBaseline(db: EventDB, lines: readonly Line[], batchSize = 5_000): Promise<number[]> {
  const rejected: number[] = [];
  for (let offset = 0; offset < lines.length; offset += batchSize) {
    const batch = lines.slice(offset, offset + batchSize);
    const result = await db.ingestBatch(batch.map((line) => line.value));
    for (const r of result.rejected) rejected.push(batch[r.index]!.lineNo);
  }
  return rejected;
}

/** Stats without the size on disk (free pages differ with commit sizes). */
export function comparableStats(db: EventDB): Omit<Stats, 'bytesOnDisk'> {
  const { bytesOnDisk: _ignored, ...rest } = db.stats();
  return rest;
}

/** Every stored event as `seq:eventId`, read through the eventName index: the whole log's order. */
export function logOrder(db: EventDB): string[] {
  const all: string[] = [];
  for (const eventName of EVENT_NAMES) for (const e of db.events({ eventName })) all.push(`${e.seq}:${e.eventId}`);
  return all.sort();
}

/** The same records, at the same seqs, with the same profiles; `full` compares the whole log, else a sample. */
export function expectSameState(actual: EventDB, expected: EventDB, fixture: Fixture, full: boolean): void {
  expect(comparableStats(actual)).toEqual(comparableStats(expected));
  if (full) expect(logOrder(actual)).toEqual(logOrder(expected));
  const step = full ? 1 : 97;
  for (let i = 0; i < fixture.lines.length; i += step) {
    const eventId = (fixture.lines[i]!.value as { eventId?: unknown } | null)?.eventId;
    if (typeof eventId === 'string') expect(actual.getEvent(eventId)?.seq, eventId).toBe(expected.getEvent(eventId)?.seq);
  }
  for (const profileId of fixture.profileIds.slice(0, 200)) expect(actual.getProfile({ profileId })).toEqual(expected.getProfile({ profileId }));
}
