// Load on loopback: 50 concurrent clients against `eventdb serve`, bounded in count and time. Nothing lost; the only
// 5xx is the documented 503 with Retry-After (forced here with a small --max-pending), after which the client retries.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { startServe } from './helpers.js';

const CLIENTS = 50;
const REQUESTS_PER_CLIENT = 10;
const EVENTS_PER_REQUEST = 20;
const T = '2026-03-01T10:00:00Z';

const dir = mkdtempSync(join(tmpdir(), 'eventdb-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('collector under load', () => {
  it(`${CLIENTS} concurrent clients, ${CLIENTS * REQUESTS_PER_CLIENT * EVENTS_PER_REQUEST} events: all stored once, only 503 + Retry-After`, async () => {
    const serve = await startServe(dir, ['--max-pending', '400']);
    const statuses = new Map<number, number>();
    let retryAfterMissing = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let r = 0; r < REQUESTS_PER_CLIENT; r++) {
          const batch = Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => ({
            type: 'track',
            event: 'load',
            anonymousId: `load-a${c}`,
            messageId: `load-${c}-${r}-${i}`,
            timestamp: T,
            properties: { r, i },
          }));
          for (;;) {
            const response = await fetch(`${serve.url}/v1/batch`, {
              method: 'POST',
              body: JSON.stringify({ batch }),
              headers: { 'content-type': 'application/json' },
            });
            await response.arrayBuffer();
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            if (response.status !== 503) break;
            if (response.headers.get('retry-after') === null) retryAfterMissing++;
            // Retry-After says 1 s; a test client waits less, so the bound is exercised without slowing the suite.
            await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 50));
          }
        }
      }),
    );
    const elapsedMs = Date.now() - started;
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    const total = CLIENTS * REQUESTS_PER_CLIENT * EVENTS_PER_REQUEST;
    console.log(
      `load: ${total} events in ${elapsedMs} ms (${Math.round((total / elapsedMs) * 1000)} events/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect([...statuses.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(statuses.get(200)).toBe(CLIENTS * REQUESTS_PER_CLIENT);
    expect(retryAfterMissing).toBe(0);
    const db = await EventDB.open({ path: dir, readOnly: true });
    try {
      expect(db.stats()).toMatchObject({ records: total, duplicates: 0, rejected: 0 });
      expect(db.getProfile('load-a7')!.eventCount).toBe(REQUESTS_PER_CLIENT * EVENTS_PER_REQUEST);
    } finally {
      await db.close();
    }
  }, 60_000);
});
