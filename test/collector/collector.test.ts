// The collector's HTTP contract: paths, gzip by magic bytes, 400/401/413/503, quarantine of rejects, CORS, health, metrics,
// the loopback rule, and SIGTERM answering a request whose body is still arriving.

import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../src/adapters.js';
import { isLoopback } from '../../src/collector/collector-options.js';
import { EventDB, type BatchResult } from '../../src/index.js';
import { startServe } from './helpers.js';

const T = '2026-03-01T10:00:00Z';
const track = (id: string, extra: Record<string, unknown> = {}) => ({ type: 'track', event: 'view', userId: 'u1', messageId: id, timestamp: T, ...extra });

let db: EventDB;
let collector: Collector;
const others: Collector[] = [];

beforeAll(async () => {
  db = await EventDB.open({ inMemory: true });
  collector = await startCollector({ db, port: 0, bodyLimitBytes: 64 * 1024 });
});
afterEach(async () => {
  await Promise.all(others.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await collector.close();
  await db.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}, url = collector.url): Promise<Response> {
  const payload = Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return fetch(`${url}${path}`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...headers } });
}

describe('paths and bodies', () => {
  it('answers 200 with counts once stored; a single call to /v1/<type> needs no type', async () => {
    const response = await post('/v1/track', { event: 'signup', userId: 'u-single', messageId: 'single-1', timestamp: T });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 1, success: true, accepted: 1, duplicates: 0, rejected: 0 });
    expect(db.getEvent('single-1')).toMatchObject({ eventName: 'signup', userId: 'u-single' });
  });

  it('reads a /v1/batch body with originalTimestamp as RudderStack, any other as Segment', async () => {
    const call = { type: 'track', event: 'dialect', userId: 'u-dialect' };
    await post('/v1/batch', { batch: [{ ...call, originalTimestamp: T }] });
    await post('/v1/batch', { batch: [{ ...call, timestamp: '2026-03-01T11:00:00Z' }] });
    const ids = db
      .events({ eventName: 'dialect' })
      .toArray()
      .map((r) => r.eventId.split('-')[0]);
    expect(ids).toEqual(['rudderstack', 'segment']);
  });

  it('gunzips by magic bytes whatever the content type says', async () => {
    const body = gzipSync(JSON.stringify({ batch: [track('gz-1')] }));
    const response = await post('/v1/batch', body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(200);
    expect(db.getEvent('gz-1')).toBeDefined();
  });

  it("reads posthog-js's form body data=<base64>", async () => {
    const data = Buffer.from(JSON.stringify([{ event: 'x', distinct_id: 'd', uuid: 'ph-form-1', timestamp: T }])).toString('base64');
    const response = await post('/e/', Buffer.from(`data=${encodeURIComponent(data)}`), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(200);
    expect(db.getEvent('ph-form-1')).toBeDefined();
  });

  it('keeps rejected events in the quarantine with their errors, and the request still succeeds', async () => {
    const before = db.quarantine.count();
    const long = 'x'.repeat(300);
    const response = await post('/v1/batch', { batch: [track('ok-1'), { type: 'bogus', messageId: 'bad-1' }, track('bad-2', { event: long })] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 1, rejected: 2 });
    const kept = db.quarantine.list({ limit: 100 }).slice(before);
    expect(kept.map((entry) => entry.errors.map((e) => [e.code, e.path]))).toEqual([[['TOO_LONG', 'eventName']], [['UNKNOWN_CALL', 'type']]]);
    expect(kept[1]!.input).toEqual({ type: 'bogus', messageId: 'bad-1' });
  });

  it.each([
    ['not JSON', '/v1/batch', 'hello'],
    ['empty', '/batch/', ''],
    ['not the SDK format', '/v1/batch', { hello: 1 }],
    ['a broken gzip', '/v1/batch', Buffer.from([0x1f, 0x8b, 1, 2, 3])],
    ['no payload_data', '/com.snowplowanalytics.snowplow/tp2', { schema: 'x' }],
  ])('400 with a JSON error for a body that is %s', async (_name, path, body) => {
    const response = await post(path, typeof body === 'string' ? Buffer.from(body) : body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: expect.any(String) });
  });

  it('400 for a POST without any body', async () => {
    const response = await fetch(`${collector.url}/v1/batch`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'the body is empty' });
  });

  it('413 past the body limit, compressed or inflated', async () => {
    const big = { batch: [track('big', { properties: { pad: 'x'.repeat(70 * 1024) } })] };
    expect((await post('/v1/batch', big)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(1024 * 1024, 32));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect((await post('/v1/batch', bomb)).status).toBe(413);
  });

  it('GET /i answers a 1x1 GIF', async () => {
    const response = await fetch(`${collector.url}/i?e=pv&eid=px-1&duid=d&url=https%3A%2F%2Fx.example%2F&dtm=1772359200000`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(
      Buffer.from(await response.arrayBuffer())
        .subarray(0, 6)
        .toString(),
    ).toBe('GIF89a');
    expect(db.getEvent('px-1')).toMatchObject({ eventName: 'page_view', pageId: 'https://x.example/' });
  });
});

describe('operations', () => {
  it('GET /health and GET /metrics in Prometheus format', async () => {
    expect(await (await fetch(`${collector.url}/health`)).json()).toEqual({ status: 'ok', pendingRecords: 0 });
    await post('/v1/batch', { batch: [track('m-1'), track('m-1')] });
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    expect(text).toMatch(/eventdb_collector_events_total\{outcome="accepted"\} \d+/);
    expect(text).toMatch(/eventdb_collector_events_total\{outcome="duplicate"\} [1-9]/);
    expect(text).toMatch(/eventdb_collector_requests_total\{route="\/v1\/batch",status="200"\} \d+/);
    expect(text).toContain('eventdb_collector_commit_seconds_bucket');
  });

  it('CORS: preflights answered, the origin echoed with credentials', async () => {
    const preflight = await fetch(`${collector.url}/com.snowplowanalytics.snowplow/tp2`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const response = await post('/v1/batch', { batch: [track('cors-1')] }, { origin: 'https://shop.example' });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('401 without one of the write keys; each SDK carries its key its own way', async () => {
    const keyed = await startCollector({ db, port: 0, writeKeys: ['k1', 'k2'] });
    others.push(keyed);
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
    expect((await post('/v1/batch', { batch: [track('a-1')] }, {}, keyed.url)).status).toBe(401);
    expect((await post('/v1/batch', { batch: [track('a-1')] }, basic('nope'), keyed.url)).status).toBe(401);
    expect((await post('/v1/batch', { batch: [track('a-1')] }, basic('k2'), keyed.url)).status).toBe(200);
    // An unreadable body without a key is a 401, not a 400: nothing about the format is told to a stranger.
    expect((await post('/v1/batch', Buffer.from('junk'), {}, keyed.url)).status).toBe(401);
    expect((await post('/v1/batch', Buffer.from('junk'), basic('k1'), keyed.url)).status).toBe(400);
    const ph = { batch: [{ event: 'x', distinct_id: 'd', uuid: 'a-2', timestamp: T }] };
    expect((await post('/batch/', ph, {}, keyed.url)).status).toBe(401);
    expect((await post('/batch/', { api_key: 'k1', ...ph }, {}, keyed.url)).status).toBe(200);
    const pixel = `${keyed.url}/i?e=pv&eid=a-3&duid=d`;
    expect((await fetch(pixel)).status).toBe(401);
    expect((await fetch(pixel, { headers: { authorization: 'Bearer k1' } })).status).toBe(200);
  });

  it('logs requests without the write keys they carry', async () => {
    const lines: string[] = [];
    const log = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logged = await startCollector({ db, port: 0, writeKeys: ['sekrit-key'], log });
    others.push(logged);
    const basic = { authorization: `Basic ${Buffer.from('sekrit-key:').toString('base64')}` };
    expect((await post('/v1/batch', { batch: [track('log-1')] }, basic, logged.url)).status).toBe(200);
    expect((await fetch(`${logged.url}/i?e=pv&eid=log-2&duid=d&writeKey=sekrit-key`)).status).toBe(200);
    const text = lines.join('');
    expect(text).toContain('request completed');
    expect(text).toContain('writeKey=[redacted]');
    expect(text).not.toContain('sekrit');
    expect(text).not.toContain(Buffer.from('sekrit-key:').toString('base64'));
  });

  it('503 with Retry-After while the writer is backed up past maxPendingRecords', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const result: BatchResult = { accepted: 0, duplicates: 0, conflicts: [], rejected: [], warnings: [] };
    const slow = { ingestPrepared: async () => (await gate, result) } as unknown as EventDB;
    const backed = await startCollector({ db: slow, port: 0, maxPendingRecords: 10, retryAfterSeconds: 2 });
    others.push(backed);
    const batch = (n: number) => ({ batch: Array.from({ length: n }, (_, i) => track(`bp-${i}`)) });
    const first = post('/v1/batch', batch(8), {}, backed.url);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await post('/v1/batch', batch(8), {}, backed.url);
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('2');
    release();
    expect((await first).status).toBe(200);
    expect((await post('/v1/batch', batch(8), {}, backed.url)).status).toBe(200);
  });

  it('refuses a non-loopback host without write keys', async () => {
    await expect(startCollector({ db, host: '0.0.0.0', port: 0 })).rejects.toThrow(/not a loopback address and no write keys/);
    expect(['127.0.0.1', '127.3.2.1', 'localhost', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopback)).toBe(false);
  });

  it('answers 503 once the store is closed', async () => {
    const closing = await EventDB.open({ inMemory: true });
    const c = await startCollector({ db: closing, port: 0 });
    others.push(c);
    await closing.close();
    const response = await post('/v1/batch', { batch: [track('late')] }, {}, c.url);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
  });
});

describe('eventdb serve', () => {
  it('SIGTERM: answers the request whose body is still arriving, closes the store, exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-serve-'));
    try {
      const serve = await startServe(dir);
      const { port } = new URL(serve.url);
      const body = JSON.stringify({ batch: [track('term-1')] });
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const ended = new Promise((resolve) => socket.on('close', resolve));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      socket.write(body.slice(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 200));
      serve.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.write(body.slice(10));
      await ended;
      expect(answer).toMatch(/^HTTP\/1.1 200/);
      expect(await serve.exited).toBe(0);
      const reopened = await EventDB.open({ path: dir, readOnly: true });
      expect(reopened.getEvent('term-1')).toBeDefined();
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --host 0.0.0.0 without --write-key, with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-serve-'));
    try {
      await expect(startServe(dir, ['--host', '0.0.0.0'])).rejects.toThrow(/not a loopback address and no write keys are set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
