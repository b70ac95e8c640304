// startCollector: the HTTP collector on fastify. SDK bodies in, records durable in the store, then 200.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isEventDBError } from '../errors.js';
import type { BatchResult } from '../schema/results.js';
import type { Issue } from '../schema/issues.js';
import { BodyError, parseBody } from './body.js';
import { WriteKeys, keysOf, redactUrl } from './auth.js';
import { resolveCollectorOptions, type CollectorOptions, type ResolvedCollectorOptions } from './collector-options.js';
import { CollectorMetrics } from './metrics.js';
import { ROUTES, type Route } from './routes.js';

/** A running collector. */
export interface Collector {
  /** `http://HOST:PORT`, with the port chosen when 0 was asked for. */
  url: string;
  /**
   * Stops accepting connections, answers every request in flight (a body still arriving included) once its
   * records are durable, and resolves. The store stays open: it belongs to the caller.
   */
  close(): Promise<void>;
}

/** A 1×1 transparent GIF: the answer to Snowplow's pixel `GET /i`. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * Starts the HTTP collector on `host:port`: the default paths of the Segment, RudderStack, PostHog and Snowplow
 * SDKs, `GET /health` and `GET /metrics`. A request is answered 200 only once its records are durable; events
 * an adapter or validation rejects go to the quarantine and do not fail it. See docs/collector.md.
 *
 * @example
 * import { EventDB } from 'eventdb';
 * import { startCollector } from 'eventdb/adapters';
 * const db = await EventDB.open({ path: './data' });
 * const collector = await startCollector({ db, port: 8787, writeKeys: ['secret'] });
 * console.log(collector.url); // point the SDKs' host at it
 * // later: await collector.close(); await db.close();
 */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const resolved = resolveCollectorOptions(options);
  const app = Fastify({
    bodyLimit: resolved.bodyLimitBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    logger: resolved.log === false ? false : { level: 'info', stream: resolved.log, serializers: { req: serializeRequest } },
  });
  const state = new CollectorState(resolved);
  registerParsers(app);
  registerCors(app);
  for (const route of ROUTES) {
    const handler = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => state.handle(route, request, reply);
    app.route({ method: route.method, url: route.path, handler });
    app.route({ method: route.method, url: `${route.path}/`, handler });
  }
  app.get('/health', async () => ({ status: 'ok', pendingRecords: state.pendingRecords }));
  app.get('/metrics', async (_request, reply) => reply.type(state.metrics.registry.contentType).send(await state.metrics.registry.metrics()));
  app.addHook('onResponse', async (request, reply) => {
    state.metrics.requests.inc({ route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });
  await app.listen({ host: resolved.host, port: resolved.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : resolved.port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}

/** Every body is read raw: the adapters decide what it means (and gzip is told by its bytes, not its headers). */
function registerParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

/** Browser SDKs post from other origins: preflights are answered, and every answer names the caller's origin. */
function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    // The origin itself, not `*`: Snowplow's browser tracker sends credentials, which `*` would refuse.
    void reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin');
  });
  app.options('*', async (request, reply) => {
    const asked = request.headers['access-control-request-headers'];
    return reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', typeof asked === 'string' ? asked : 'Content-Type, Content-Encoding, Authorization')
      .header('access-control-max-age', '86400')
      .send();
  });
}

function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip, contentLength: request.headers['content-length'] };
}

/** What requests share: the store, the write keys, the metrics and the count of records not yet durable. */
class CollectorState {
  readonly metrics = new CollectorMetrics();
  private readonly keys: WriteKeys;
  pendingRecords = 0;

  constructor(private readonly options: ResolvedCollectorOptions) {
    this.keys = new WriteKeys(options.writeKeys);
  }

  async handle(route: Route, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const receivedAt = Date.now();
    const query = request.query as Record<string, unknown>;
    let payload: unknown;
    try {
      payload = route.method === 'GET' ? query : parseBody(request.body, route.sdk, this.options.bodyLimitBytes);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      // Unreadable and unauthenticated: say 401, so that a caller without a key learns nothing about the format.
      if (!this.keys.allows(keysOf(request.headers, query, undefined))) return this.unauthorized(reply);
      return reply.code(err.statusCode).send({ error: err.message });
    }
    if (!this.keys.allows(keysOf(request.headers, query, payload))) return this.unauthorized(reply);
    const mapped = route.map(payload, receivedAt);
    if (mapped.bodyError !== undefined) return reply.code(400).send({ error: `not a ${route.sdk} request body`, issue: mapped.bodyError });
    const count = mapped.records.length + mapped.errors.length;
    if (this.pendingRecords > 0 && this.pendingRecords + count > this.options.maxPendingRecords) {
      this.metrics.overloaded.inc();
      return reply
        .code(503)
        .header('retry-after', String(this.options.retryAfterSeconds))
        .send({ error: `the writer is backed up (${this.pendingRecords} records not yet durable); retry later` });
    }
    const result = await this.write(mapped.records, mapped.errors, count, reply);
    if (result === undefined) return reply;
    return this.answer(route, reply, result);
  }

  /** Hands the records to the store and waits until they are durable; undefined when the answer was an error. */
  private async write(
    records: unknown[],
    rejects: { input: unknown; errors: Issue[] }[],
    count: number,
    reply: FastifyReply,
  ): Promise<BatchResult | undefined> {
    this.pendingRecords += count;
    this.metrics.pending.set(this.pendingRecords);
    const stop = this.metrics.commitSeconds.startTimer();
    try {
      const result = await this.options.db.ingestPrepared(records, rejects);
      stop();
      this.metrics.events.inc({ outcome: 'accepted' }, result.accepted);
      this.metrics.events.inc({ outcome: 'duplicate' }, result.duplicates);
      this.metrics.events.inc({ outcome: 'rejected' }, result.rejected.length);
      return result;
    } catch (err) {
      if (isEventDBError(err, 'CLOSED')) {
        void reply.code(503).header('retry-after', String(this.options.retryAfterSeconds)).send({ error: 'the store is closing; retry later' });
        return undefined;
      }
      if (isEventDBError(err, 'LIMIT_EXCEEDED')) {
        void reply.code(413).send({ error: (err as Error).message });
        return undefined;
      }
      throw err;
    } finally {
      this.pendingRecords -= count;
      this.metrics.pending.set(this.pendingRecords);
    }
  }

  private unauthorized(reply: FastifyReply): FastifyReply {
    return reply.code(401).send({ error: 'a write key is required (Basic auth user, Bearer token, or the project key); none given matches' });
  }

  private answer(route: Route, reply: FastifyReply, result: BatchResult): FastifyReply {
    if (route.sdk === 'snowplow') {
      return route.method === 'GET' ? reply.type('image/gif').header('cache-control', 'no-store').send(PIXEL) : reply.type('text/plain').send('ok');
    }
    // `status: 1` is what PostHog's SDKs look for, `success` what Segment's HTTP API answers; the counts are ours.
    return reply.send({ status: 1, success: true, accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected.length });
  }
}
