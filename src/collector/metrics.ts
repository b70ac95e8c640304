// The collector's Prometheus metrics (prom-client), in a registry of its own so several collectors can run in one process.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What `GET /metrics` exposes. */
export class CollectorMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'eventdb_collector_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'eventdb_collector_events_total',
    help: 'SDK events received, by outcome: accepted (stored), duplicate (eventId already stored), rejected (quarantined)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'eventdb_collector_commit_seconds',
    help: 'Time from handing a request to the store until its records were durable',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly pending = new Gauge({
    name: 'eventdb_collector_pending_records',
    help: 'Records handed to the store and not yet durable',
    registers: [this.registry],
  });
  readonly overloaded = new Counter({
    name: 'eventdb_collector_overloaded_total',
    help: 'Requests answered 503 because the writer was backed up past maxPendingRecords',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'eventdb_collector_' });
  }
}
