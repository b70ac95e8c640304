// `eventdb changes --follow` in another process, read-only beside a live writer: each commit once and in order;
// stalled in the middle of a page, it holds no LMDB snapshot (the writer's freed pages stay reusable).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { EventDB, type Change } from '../../src/index.js';
import { fixtureEvent } from '../export/export-fixture.js';
import { nodeArgs } from '../helpers/child-build.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const STALLED_CHILD = join(import.meta.dirname, 'stalled-follower-child.ts');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-changes-process-'));
  dirs.push(dir);
  return dir;
}

function follow(dir: string): ChildProcess {
  return spawn(process.execPath, [...nodeArgs(CLI), 'changes', '--follow', '--json', '--db', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function all(db: EventDB): Promise<Change[]> {
  const out: Change[] = [];
  for await (const change of db.changes()) out.push(change);
  return out;
}

describe('a follower in another process', () => {
  it('sees each commit of a live writer once and in order', { timeout: 30_000 }, async () => {
    const dir = freshDir();
    const writer = await EventDB.open({ path: dir });
    let child: ChildProcess | undefined;
    try {
      await writer.ingestBatch(Array.from({ length: 100 }, (_, i) => fixtureEvent(i, 20)));
      child = follow(dir);
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      const lines: Change[] = [];
      let wanted = Number.POSITIVE_INFINITY;
      let reached!: () => void;
      const done = new Promise<void>((resolve) => (reached = resolve));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(JSON.parse(line) as Change);
        if (lines.length >= wanted) reached();
      });
      // Commits of many sizes, some while the follower is still starting, some concurrent (group commit).
      let next = 100;
      for (let round = 0; round < 30; round++) {
        const size = 1 + ((round * 37) % 150);
        await writer.ingestBatch(Array.from({ length: size }, (_, i) => fixtureEvent(next + i, 20)));
        next += size;
        if (round % 5 === 0) {
          await Promise.all(Array.from({ length: 10 }, (_, i) => writer.ingest(fixtureEvent(next + i, 20))));
          next += 10;
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      const expected = await all(writer);
      expect(expected.length).toBe(next);
      wanted = expected.length;
      if (lines.length >= wanted) reached();
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`follower saw ${lines.length} of ${wanted}`)), 20_000))]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines.map((c) => c.position)).toEqual(expected.map((c) => c.position));
      expect(lines).toEqual(JSON.parse(JSON.stringify(expected)));
    } finally {
      child?.kill('SIGKILL');
      await writer.close();
    }
  });

  it('stalled inside a page, holds no read snapshot of the store', { timeout: 30_000 }, async () => {
    const dir = freshDir();
    const writer = await EventDB.open({ path: dir });
    let child: ChildProcess | undefined;
    try {
      await writer.ingestBatch(Array.from({ length: 5_000 }, (_, i) => fixtureEvent(i, 20)));
      child = spawn(process.execPath, [...nodeArgs(STALLED_CHILD), dir, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => createInterface({ input: child!.stdout! }).once('line', () => resolve()));
      // The LMDB reader table, shared by every process of the store: the stalled follower's slot pins no
      // transaction, so the pages the writer frees stay reusable however long the follower takes.
      const env = open({ path: dir, readOnly: true });
      const readers = String(env.readerList())
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((cols) => cols[0] === String(child!.pid));
      expect(readers.length).toBeGreaterThan(0);
      for (const cols of readers) expect(cols[2]).toBe('-');
      await writer.ingestBatch(Array.from({ length: 1_000 }, (_, i) => fixtureEvent(5_000 + i, 20)));
      expect(await exited).toBe(0);
    } finally {
      child?.kill('SIGKILL');
      await writer.close();
    }
  });
});
