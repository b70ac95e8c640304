// The eventdb CLI end to end: every command run in a child process (the sources as the test run transpiled them,
// and dist/ when built), --json parsed, exit codes checked.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEvents } from '../../src/demo/dataset.js';
import { nodeArgs } from '../helpers/child-build.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FROM_SOURCES = nodeArgs('src/cli/main.ts');
const FROM_DIST = ['dist/cli/main.js'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], entry: string[] = FROM_SOURCES): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs with --json, expects exit code 0 and nothing on stderr, and parses stdout. */
async function json<T>(args: string[], entry?: string[]): Promise<T> {
  const run = await cli([...args, '--json'], entry);
  expect(run.stderr, args.join(' ')).toBe('');
  expect(run.status, args.join(' ')).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** One sentence on stderr, no stack trace, nothing on stdout. */
function expectOneSentence(run: Run, status: number, contains: string): void {
  expect(run.status).toBe(status);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^eventdb: /);
  expect(run.stderr).toContain(contains);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

interface IngestJson {
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  gzip: boolean;
  storeRecords: number;
}

describe('eventdb CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-cli-'));
  const db = join(dir, 'store');
  const file = join(dir, 'events.ndjson');
  const rejects = join(dir, 'rejects.ndjson');
  const records = generateEvents(3_000, { seed: 5, duplicateFraction: 0.05, badFraction: 0.02, profiles: 300, sessions: 600, accounts: 20 });
  const good = records.find((r) => typeof r['accountId'] === 'string' && typeof r['sessionId'] === 'string' && typeof r['profileId'] === 'string')!;

  beforeAll(() => writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\nthis line is not JSON\n`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ingests a file with --json, writes the rejects, and finds everything stored on a second run', async () => {
    const first = await json<IngestJson>(['ingest', file, '--db', db, '--rejects', rejects, '--workers', '2', '--quiet']);
    expect(first.lines).toBe(3_001);
    expect(first.accepted + first.duplicates + first.rejected).toBe(3_001);
    expect(first.rejected).toBeGreaterThan(1);
    expect(first.storeRecords).toBe(first.accepted);
    const rejectLines = readFileSync(rejects, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { line: number; input: string });
    expect(rejectLines).toHaveLength(first.rejected);
    expect(rejectLines.at(-1)).toMatchObject({ line: 3_001, input: 'this line is not JSON' });

    const second = await json<IngestJson>(['ingest', file, '--db', db, '--quiet']);
    expect(second).toMatchObject({ accepted: 0, duplicates: first.accepted + first.duplicates, rejected: first.rejected });
  });

  it('answers stats, profile, events, session, account and verify with --json', async () => {
    const [stats, profile, events, session, account, verify] = await Promise.all([
      json<{ records: number; rejected: number }>(['stats', '--db', db]),
      json<{ profileIds: string[]; eventCount: number }>(['profile', String(good['profileId']), '--db', db]),
      json<{ count: number; events: { time: number; profileId?: string }[] }>([
        'events',
        '--profile',
        String(good['profileId']),
        '--db',
        db,
        '--limit',
        '1000',
      ]),
      json<{ sessionId: string }>(['session', String(good['sessionId']), '--db', db]),
      json<{ accountId: string }>(['account', String(good['accountId']), '--db', db]),
      json<{ ok: boolean; recordsChecked: number }>(['verify', '--db', db]),
    ]);
    expect(stats.records).toBeGreaterThan(2_000);
    expect(profile.profileIds).toContain(good['profileId']);
    expect(events.count).toBe(profile.eventCount);
    const times = events.events.map((e) => e.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(session.sessionId).toBe(good['sessionId']);
    expect(account.accountId).toBe(good['accountId']);
    expect(verify).toMatchObject({ ok: true, recordsChecked: stats.records });
  });

  it('uses exit code 3 for an unknown id, 1 with one sentence for a bad path, 2 for bad usage', async () => {
    const [noProfile, noFile, noStore, noArgument, badWorkers, badCommand] = await Promise.all([
      cli(['profile', 'nobody-at-all', '--db', db]),
      cli(['ingest', join(dir, 'missing.ndjson'), '--db', db]),
      cli(['stats', '--db', join(dir, 'no-store-here')]),
      cli(['ingest', '--db', db]),
      cli(['ingest', file, '--workers', 'many', '--db', db]),
      cli(['events', '--db', db]),
    ]);
    expectOneSentence(noProfile, 3, 'no profile "nobody-at-all"');
    expectOneSentence(noFile, 1, 'cannot read');
    expect(noFile.stderr).toContain('missing.ndjson');
    expectOneSentence(noStore, 1, 'no eventdb store at');
    expect(existsSync(join(dir, 'no-store-here'))).toBe(false);
    expectOneSentence(noArgument, 2, 'the file to ingest is missing');
    expectOneSentence(badWorkers, 2, '--workers must be a non-negative integer');
    expectOneSentence(badCommand, 2, 'events needs at least one of');
  });

  it('imports a catalog feed, or says in one sentence that this version cannot yet', async () => {
    const feed = join(dir, 'feed.json');
    const product = { id: 'p1', title: 'Wine', description: 'Red', url: 'https://shop.example.com/p1', image_link: 'https://shop.example.com/p1.jpg' };
    writeFileSync(feed, JSON.stringify({ products: [{ product }] }));
    const run = await cli(['catalog', 'import', feed, '--db', db, '--json']);
    if (run.status === 1) {
      expectOneSentence(run, 1, 'not available yet');
    } else {
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ imported: 1, removed: 0, rejected: [] });
    }
  });

  it('counts, lists, resubmits with a fix and purges the quarantine', async () => {
    const { quarantined } = await json<{ quarantined: number }>(['quarantine', 'count', '--db', db]);
    expect(quarantined).toBeGreaterThan(1);
    const { records: listed } = await json<{ records: { id: number; errors: { code: string }[] }[] }>(['quarantine', 'list', '--limit', '100000', '--db', db]);
    expect(listed).toHaveLength(quarantined);
    expect(listed.every((r) => r.errors.length > 0)).toBe(true);
    const fixed = join(dir, 'fixed.json');
    writeFileSync(
      fixed,
      JSON.stringify({ eventId: 'fixed-1', profileId: 'p-fixed', sessionId: 's-fixed', eventName: 'page_view', timestamp: '2026-01-01T00:00:00Z' }),
    );
    const resubmitted = await json<{ id: number; status: string }>(['quarantine', 'resubmit', String(listed[0]!.id), '--fixed', fixed, '--db', db]);
    expect(resubmitted).toMatchObject({ id: listed[0]!.id, status: 'accepted' });
    expect((await json<{ quarantined: number }>(['quarantine', 'count', '--db', db])).quarantined).toBe(quarantined - 1);
    expect((await json<{ eventCount: number }>(['profile', 'p-fixed', '--db', db])).eventCount).toBe(1);
    expect((await json<{ removed: number }>(['quarantine', 'purge', '--all', '--db', db])).removed).toBe(quarantined - 1);
    expect((await json<{ quarantined: number }>(['quarantine', 'count', '--db', db])).quarantined).toBe(0);
    expectOneSentence(await cli(['quarantine', 'resubmit', '999999', '--db', db]), 3, 'no quarantined record');
    expect((await cli(['quarantine', 'purge', '--db', db])).status).toBe(2);
  });

  it('prints usage for --help on every command', async () => {
    const names = ['ingest', 'catalog', 'profile', 'events', 'account', 'session', 'stats', 'quarantine', 'verify', 'demo'];
    const runs = await Promise.all(names.map((name) => cli([name, '--help'])));
    runs.forEach((run, i) => {
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Usage: eventdb ${names[i]}`);
      expect(run.stdout).toContain('--json');
    });
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'ingest', 'bulk', 'worker.js')))('ingests from the compiled dist/ (worker.js beside it)', async () => {
    const distDb = join(dir, 'dist-store');
    const result = await json<IngestJson>(['ingest', file, '--db', distDb, '--quiet'], FROM_DIST);
    expect(result.accepted + result.duplicates + result.rejected).toBe(3_001);
    const stats = await json<{ records: number }>(['stats', '--db', distDb], FROM_DIST);
    expect(stats.records).toBe(result.accepted);
  });
});
