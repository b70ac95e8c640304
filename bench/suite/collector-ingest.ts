// Collector ingest: the same events through HTTP (`startCollector`, Segment batches on loopback) and through ingestBatch.

import type { Recorder } from './recorder.js';
import type { SuiteConfig } from './config.js';
import { openStore } from './eventdb-jobs.js';
import type { JobOutcome } from './baselines.js';
import { EventSet, type BenchEvent } from './workloads.js';
import { startCollector } from '../../src/adapters.js';

const CLIENTS = 50;
const BATCH = 100;

/** A generated event as the Segment SDK would send it: a track call whose fields map back to the same record. */
function segmentCall(event: BenchEvent): Record<string, unknown> {
  return {
    type: 'track',
    event: event.eventName,
    messageId: event.eventId,
    anonymousId: event.profileId,
    ...(event.userId === undefined ? {} : { userId: event.userId }),
    ...(event.accountId === undefined ? {} : { groupId: event.accountId }),
    timestamp: event.timestamp,
    properties: event.data,
    context: { sessionId: event.sessionId },
  };
}

/**
 * 50 clients in this process POST `{ batch }` bodies of 100 calls to `/v1/batch` of a collector on 127.0.0.1 (durable
 * store, projections on), each awaiting its 200 before the next; a 503 is retried at once. The bodies are built
 * out of the timing. Next to it, `ingestBatch` of the same events in batches of 100, 50 in flight.
 */
export async function collectorIngest(config: SuiteConfig, rec: Recorder): Promise<void> {
  const n = config.concurrentEvents;
  rec.log(`collector ingest over HTTP, ${n.toLocaleString('en-US')} events`);
  const events = new EventSet(n, { seed: 13 }).all;
  const batches: BenchEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
  const direct = await rec.job(
    {
      id: `collector/${n}/ingestBatch`,
      group: 'concurrent',
      workload: `ingestBatch of ${BATCH}, ${CLIENTS} in flight, durable, projections on`,
      engine: 'eventdb',
      n,
    },
    async (dir): Promise<JobOutcome> => {
      const db = await openStore(dir);
      let next = 0;
      const caller = async (): Promise<void> => {
        while (next < batches.length) await db.ingestBatch(batches[next++]!);
      };
      await Promise.all(Array.from({ length: CLIENTS }, caller));
      const stored = db.stats().events;
      await db.close();
      return { stored };
    },
  );
  const http = await rec.job(
    {
      id: `collector/${n}/http`,
      group: 'concurrent',
      workload: `HTTP collector: ${CLIENTS} clients POST Segment batches of ${BATCH} to /v1/batch on loopback, each awaiting its durable 200`,
      engine: 'eventdb',
      n,
    },
    async (dir): Promise<JobOutcome> => {
      const prepared = performance.now();
      const bodies = batches.map((batch) => JSON.stringify({ batch: batch.map(segmentCall) }));
      const untimedMs = performance.now() - prepared;
      const db = await openStore(dir);
      const collector = await startCollector({ db, port: 0, maxPendingRecords: CLIENTS * BATCH * 2 });
      let next = 0;
      const client = async (): Promise<void> => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          for (;;) {
            const response = await fetch(`${collector.url}/v1/batch`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
            await response.arrayBuffer();
            if (response.status === 200) break;
            if (response.status !== 503) throw new Error(`collector answered ${response.status}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      await collector.close();
      const stored = db.stats().events;
      await db.close();
      return { stored, untimedMs };
    },
  );
  rec.ratio(http.row, direct.row);
}
