// events(query): reads one key's events from the secondary index, merged across its chunks, in time order.

import { errors } from '../errors.js';
import { parseTimestamp } from '../schema/timestamp.js';
import { IndexKind, MAX_INDEX_TIME, MIN_INDEX_TIME, type IndexField } from '../storage/keys.js';
import { fromTuple, publicRecord, type StoredRecord } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import { Lazy } from './lazy.js';

/** Which events to read: one or more keys (all must match), a time range, a limit, a direction. */
export interface EventsQuery {
  /** Events of the unified profile this profileId belongs to. */
  profileId?: string;
  /** Events of the unified profile of this userId. */
  userId?: string;
  sessionId?: string;
  accountId?: string;
  eventName?: string;
  productId?: string;
  /** Inclusive lower bound: ISO-8601 string or epoch ms. */
  from?: string | number;
  /** Inclusive upper bound: ISO-8601 string or epoch ms. */
  to?: string | number;
  /** At most this many events. */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

/** Most selective first: the first key present drives the index scan, the others filter. */
const KEY_ORDER: readonly IndexField[] = ['sessionId', 'profileId', 'userId', 'productId', 'accountId', 'eventName'];

/** What a query needs from the identity graph. */
export interface QueryContext {
  storage: Storage;
  /** The log's end in the current snapshot (a read-only handle first folds its writer's records up to it). */
  lastSeq: () => number;
  /** The owners (`u:<id>`, `p:<id>`) of the unified profile of an identifier; empty when unknown. */
  ownersOf: (field: 'profileId' | 'userId', value: string) => string[];
  /** The owner of a stored record. */
  ownerOfRecord: (record: StoredRecord) => string;
}

/** One key of a query: the index ranges that hold its events, and the test a record of another range must pass. */
interface Constraint {
  ranges: [IndexField, string][];
  matches: (record: StoredRecord) => boolean;
}

interface Plan {
  ranges: [IndexField, string][];
  filters: ((record: StoredRecord) => boolean)[];
  from: number;
  to: number;
  limit: number;
  reverse: boolean;
}

export function queryEvents(ctx: QueryContext, query: EventsQuery): Lazy<StoredRecord> {
  const plan = planQuery(ctx, query);
  return new Lazy(() => runPlan(ctx.storage, ctx.lastSeq(), plan));
}

function constraintOf(ctx: QueryContext, field: IndexField, value: string): Constraint {
  if (field !== 'profileId' && field !== 'userId') return { ranges: [[field, value]], matches: (record) => record[field] === value };
  // A profile is read as the unified profile: its userId's events and those of every profileId homed there.
  const owners = ctx.ownersOf(field, value);
  const set = new Set(owners);
  return {
    ranges: owners.map((owner) => [owner.startsWith('u:') ? 'userId' : 'profileId', owner.slice(2)]),
    matches: (record) => set.has(ctx.ownerOfRecord(record)),
  };
}

function planQuery(ctx: QueryContext, query: EventsQuery): Plan {
  if (typeof query !== 'object' || query === null) throw errors.invalidQuery('', 'must be an object');
  const constraints: Constraint[] = [];
  for (const field of KEY_ORDER) {
    const value = query[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw errors.invalidQuery(field, 'must be a non-empty string');
    constraints.push(constraintOf(ctx, field, value));
  }
  const first = constraints.shift();
  if (first === undefined) throw errors.invalidQuery('', `name one of ${KEY_ORDER.join(', ')}`);
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 0)) {
    throw errors.invalidQuery('limit', 'must be a non-negative integer');
  }
  return {
    ranges: first.ranges,
    filters: constraints.map((c) => c.matches),
    from: Math.ceil(Math.max(toTime(query.from, 'from', MIN_INDEX_TIME), MIN_INDEX_TIME)),
    to: Math.floor(Math.min(toTime(query.to, 'to', MAX_INDEX_TIME), MAX_INDEX_TIME)),
    limit,
    reverse: query.reverse === true,
  };
}

function toTime(value: string | number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw errors.invalidQuery(name, 'must be a finite epoch ms number or an ISO-8601 string');
    return value;
  }
  const parsed = typeof value === 'string' ? parseTimestamp(value) : 'is not a string';
  if (typeof parsed === 'string') throw errors.invalidQuery(name, `"${String(value)}" ${parsed}`);
  return parsed;
}

function* runPlan(storage: Storage, position: number, plan: Plan): Iterator<StoredRecord> {
  if (plan.limit === 0 || plan.from > plan.to) return;
  const keys = plan.ranges.map(([field, value]): [number, string] => [IndexKind[field], value]);
  const postings = storage.index.scan(keys, plan.from, plan.to, plan.reverse, position, storage.checkpointPosition());
  const records = storage.recordReader(position);
  // Records of one time are collected, then ordered by eventId, so ties do not depend on arrival order.
  const group: StoredRecord[] = [];
  let groupTime = Number.NaN;
  let emitted = 0;
  for (;;) {
    const more = postings.next();
    if (!more || postings.time !== groupTime) {
      if (group.length > 1) group.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0) * (plan.reverse ? -1 : 1));
      for (const record of group) {
        yield record.keysEscaped === true ? publicRecord(record) : record;
        if (++emitted >= plan.limit) return;
      }
      group.length = 0;
      if (!more) return;
      groupTime = postings.time;
    }
    const seq = postings.seq;
    const tuple = records.get(seq);
    if (tuple === undefined) continue;
    const record = fromTuple(seq, tuple);
    if (matches(record, plan.filters)) group.push(record);
  }
}

function matches(record: StoredRecord, filters: readonly ((record: StoredRecord) => boolean)[]): boolean {
  for (const test of filters) if (!test(record)) return false;
  return true;
}
