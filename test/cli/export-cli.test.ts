// `eventdb export` and `eventdb changes` from the command line: the answer, NDJSON from a position, an unreachable target.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { fixtureEvent } from '../export/export-fixture.js';
import { nodeArgs } from '../helpers/child-build.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'eventdb-export-cli-'));
const store = join(dir, 'store');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const db = await EventDB.open({ path: store });
  await db.ingestBatch(Array.from({ length: 300 }, (_, i) => fixtureEvent(i, 10)));
  await db.close();
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args, '--db', store], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('eventdb export / changes', () => {
  it('exports to files, prints changes after a position, and names an unreachable target', { timeout: 30_000 }, async () => {
    const out = join(dir, 'out');
    // Each spawn costs a second or two of start-up: three, side by side (re-runs and usage are tested through the API).
    const [first, changes, unreachable] = await Promise.all([
      cli(['export', '--format', 'ndjson', '--out', out, '--json', '--quiet']),
      cli(['changes', '--after', '297', '--json']),
      cli(['export', '--to', 'clickhouse', '--url', 'http://127.0.0.1:9', '--quiet']),
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ exported: 300, resumedAfter: '0', lastPosition: '300' });
    const lines = changes.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { position: string; record: { eventId: string } });
    expect(lines.map((line) => [line.position, line.record.eventId])).toEqual([
      ['298', 'x-297'],
      ['299', 'x-298'],
      ['300', 'x-299'],
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/export to ClickHouse at http:\/\/127\.0\.0\.1:9 .* cannot be reached/);
  });
});
