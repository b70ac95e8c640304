// SIGKILL: Segment SDK clients send while `eventdb serve` is killed and restarted; every event answered 200 is stored once.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { startServe, type ServeChild } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'eventdb-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENTS = 3;
const EVENTS_PER_CLIENT = 300;

/** A port free now, so the restarted collector can answer at the same address. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('collector killed while SDKs send', () => {
  it('stores every event that got a 200 exactly once', async () => {
    const seed = Number(process.env['KILL_SEED'] ?? Date.now() % 100_000);
    console.log(`collector kill test seed ${seed} (replay with KILL_SEED=${seed})`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let serve: ServeChild = await startServe(dir, ['--port', String(port)]);
    const acked = new Set<string>();
    const clients = Array.from({ length: CLIENTS }, (_, c) => {
      const analytics = new Analytics({ writeKey: 'k', host: url, flushAt: 10, flushInterval: 20, maxRetries: 4 });
      analytics.on('http_response', (response) => {
        if (response.status !== 200) return;
        const body = JSON.parse(response.body) as { batch: { messageId: string }[] };
        for (const call of body.batch) acked.add(call.messageId);
      });
      return { analytics, c };
    });
    const t0 = Date.now();
    const sending = Promise.all(
      clients.map(async ({ analytics, c }) => {
        for (let i = 0; i < EVENTS_PER_CLIENT; i++) {
          analytics.track({ userId: `kill-u${c}`, event: 'kill-test', messageId: `k-${c}-${i}`, properties: { i } });
          if (i % 10 === 9) await sleep(15);
        }
      }),
    );
    // One kill while the clients are still sending: the SDK retries with a backoff of 0.5 s, 1 s, 2 s…, so each kill
    // costs seconds; one is enough to cut batches in flight, on the wire and mid-commit. It comes 0-200 ms after the
    // first acknowledgement, so the stream is running.
    while (acked.size === 0) await sleep(5);
    await sleep(seed % 200);
    serve.child.kill('SIGKILL');
    await serve.exited;
    console.log(`killed ${Date.now() - t0} ms after the clients started, ${acked.size} events acknowledged`);
    await sleep(200);
    serve = await startServe(dir, ['--port', String(port)]);
    await sending;
    await Promise.all(clients.map(({ analytics }) => analytics.closeAndFlush({ timeout: 15_000 })));
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);

    const db = await EventDB.open({ path: dir, readOnly: true });
    try {
      expect(acked.size).toBeGreaterThan(0);
      const missing = [...acked].filter((id) => db.getEvent(id) === undefined);
      expect(missing, `seed ${seed}`).toEqual([]);
      const stored = db.events({ eventName: 'kill-test' }).toArray();
      expect(new Set(stored.map((r) => r.eventId)).size, `seed ${seed}: an event stored twice`).toBe(stored.length);
      expect(db.stats().records).toBe(stored.length);
      expect((await db.verify()).differences).toEqual([]);
    } finally {
      await db.close();
    }
  }, 60_000);
});
