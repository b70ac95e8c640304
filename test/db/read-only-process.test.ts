// A read-only handle in another process sees a writer's later commits (docs/guarantees.md), each batch whole:
// never part of one, and stats, the index, the profile and lookups by eventId agree in every state it sees; the
// records written after the writer samples the log's dictionary (opened after the reader) read back too.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { nodeArgs } from '../helpers/child-build.js';

const CHILD = join(import.meta.dirname, 'read-only-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'eventdb-read-only-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface State {
  events: number;
  records: number;
  indexed: number;
  profile: number;
  present: number[];
}

const SIZE = 400;
const BATCHES = 10;
/** Batches 2..HANDSHAKE are written one at a time, each after the reader reported the one before. */
const HANDSHAKE = 5;

function batch(b: number): Record<string, unknown>[] {
  return Array.from({ length: SIZE }, (_, i) => ({
    eventId: `ro-${b}-${i}`,
    profileId: 'ro',
    sessionId: `s${b}`,
    eventName: 'view',
    timestamp: new Date(Date.UTC(2026, 0, 1) + b * SIZE + i).toISOString(),
    // Records past 96 bytes: from the batch after the log reaches 1,000 records, they are written compressed with the
    // dictionary the writer samples then, which the reader, opened before, has to find.
    data: { url: `https://shop.example.com/products/${i}?ref=${b}-${i}`, sku: `sku-${i % 50}`, title: `Product ${i % 50} of batch ${b}, in stock` },
  }));
}

describe('a read-only handle in another process', () => {
  it('sees each later batch of the writer whole, every read agreeing, up to the last one', { timeout: 30_000 }, async () => {
    const writer = await EventDB.open({ path: dir });
    try {
      expect((await writer.ingestBatch(batch(1))).accepted).toBe(SIZE);

      const child = spawn(process.execPath, [...nodeArgs(CHILD), dir, String(BATCHES), String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const states: State[] = [];
      const waiters: { events: number; resolve: () => void }[] = [];
      const lines = createInterface({ input: child.stdout });
      let opened!: () => void;
      const open = new Promise<void>((resolve) => (opened = resolve));
      lines.on('line', (line) => {
        if (line === 'open') return opened();
        const state = JSON.parse(line) as State;
        states.push(state);
        for (const waiter of waiters.filter((w) => state.events >= w.events)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      });
      const seen = (events: number): Promise<void> =>
        states.some((s) => s.events >= events) ? Promise.resolve() : new Promise((resolve) => waiters.push({ events, resolve }));
      // One deadline for the whole exchange, child start-up included: 20 s.
      const deadline = Date.now() + 20_000;
      const bounded = <T>(what: string, promise: Promise<T>): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<T>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`reader did not report ${what} within 20 s; it last saw ${JSON.stringify(states.at(-1))}`)),
            Math.max(0, deadline - Date.now()),
          );
        });
        return Promise.race([promise, late]).finally(() => clearTimeout(timer));
      };

      try {
        await bounded('opening', open);
        await bounded('batch 1', seen(SIZE));
        for (let b = 2; b <= HANDSHAKE; b++) {
          expect((await writer.ingestBatch(batch(b))).accepted).toBe(SIZE);
          await bounded(`batch ${b}`, seen(b * SIZE));
        }
        // The rest back to back, while the reader polls: it must still never see part of a batch.
        for (let b = HANDSHAKE + 1; b <= BATCHES; b++) expect((await writer.ingestBatch(batch(b))).accepted).toBe(SIZE);
        expect(await bounded('the last batch', exited)).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill();
      }

      expect(states.length).toBeGreaterThanOrEqual(HANDSHAKE);
      // It saw every handshaken batch as a state of its own, and finally the last one.
      for (let b = 1; b <= HANDSHAKE; b++) expect(states.map((s) => s.events)).toContain(b * SIZE);
      expect(states.at(-1)!.events).toBe(BATCHES * SIZE);
      let before = 0;
      for (const state of states) {
        const whole = state.events / SIZE;
        expect(Number.isInteger(whole), JSON.stringify(state)).toBe(true);
        expect(state, 'stats, index, profile agree').toMatchObject({ records: state.events, indexed: state.events, profile: state.events });
        // Lookups by eventId: the first `whole` batches fully there, the others not at all.
        expect(state.present).toEqual(Array.from({ length: BATCHES }, (_, i) => (i < whole ? 3 : 0)));
        expect(state.events).toBeGreaterThanOrEqual(before);
        before = state.events;
      }
    } finally {
      await writer.close();
    }
  });
});
