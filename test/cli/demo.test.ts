// The demo command end to end: the CLI source run through tsx in a child process, on a temp store.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeArgs } from '../helpers/child-build.js';

const ROOT = join(import.meta.dirname, '..', '..');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface DemoJson {
  generated: { records: number };
  alreadyStored: boolean;
  ingest: { accepted: number; duplicates: number; rejected: number; firstRejections: { errors: { code: string }[] }[] };
  stats: { records: number; quarantined: number };
  example: { profileId: string | null; events: unknown[]; event: unknown; product: unknown };
}

describe('eventdb demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-cli-demo-'));
  const db = join(dir, 'store');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const demo = (): DemoJson => {
    const run = cli(['demo', '--db', db, '--events', '5000', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout) as DemoJson;
  };

  it('accounts for every generated record, with duplicates and rejections', () => {
    const first = demo();
    const { accepted, duplicates, rejected } = first.ingest;
    expect(accepted + duplicates + rejected).toBe(first.generated.records);
    expect(rejected).toBeGreaterThan(0);
    expect(duplicates).toBeGreaterThan(0);
    expect(first.ingest.firstRejections.length).toBeGreaterThan(0);
    expect(first.stats.records).toBe(accepted);
    expect(first.example.profileId).not.toBeNull();
    expect(first.example.events.length).toBeGreaterThan(0);
    expect(first.example.event).not.toBeNull();
    expect(first.example.product).not.toBeNull();
  });

  it('stores nothing new on a second run: eventId dedupe is permanent', () => {
    const second = demo();
    expect(second.ingest.accepted).toBe(0);
    expect(second.alreadyStored).toBe(true);
    expect(second.ingest.duplicates + second.ingest.rejected).toBe(second.generated.records);
  });

  it('exits with code 2 and one line on stderr for an unknown command', () => {
    const run = cli(['nosuch']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('nosuch');
  });
});
