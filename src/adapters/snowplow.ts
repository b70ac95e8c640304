// fromSnowplow: a Snowplow tracker-protocol request (POST payload_data, or the GET /i query) as eventdb records.

import { issue, describeType, type Issue } from '../schema/issues.js';
import type { JsonObject } from '../schema/json-value.js';
import type { EventInput } from '../schema/record.js';
import { badBody, mapCalls, type AdapterOptions, type AdapterResult } from './adapter-result.js';
import { compact, daySessionId, derivedEventId, eventTime, isObject, readId, readTime, receivedAtMs } from './common.js';
import { asSelfDescribing, readEnvelope, schemaName, type SelfDescribing } from './snowplow-payload.js';

/** Options of `fromSnowplow`. */
export interface SnowplowOptions extends AdapterOptions {
  /** The identifier of an event with no user id of any kind (default `anonymous`, a placeholder: stored, nobody's). */
  anonymousId?: string;
}

/** Event types of the tracker protocol and their eventName (`ue` is named by its schema, `se` by its action). */
const EVENT_NAMES: Record<string, string> = {
  pv: 'page_view',
  pp: 'page_ping',
  tr: 'transaction',
  ti: 'transaction_item',
};

/** Parameters the mapping consumes; every other one is kept in `data.$params`. */
const MAPPED_PARAMS = new Set(['e', 'eid', 'duid', 'uid', 'nuid', 'tnuid', 'sid', 'dtm', 'ttm', 'stm', 'url', 'page', 'refr', 'ue_pr', 'ue_px', 'co', 'cx']);
const STRUCT_FIELDS: Record<string, string> = { se_ca: 'category', se_ac: 'action', se_la: 'label', se_pr: 'property', se_va: 'value' };
const SEND_TIME_PARAMS = ['stm'];

/**
 * Maps one Snowplow request — the POST body `{ schema: "iglu:…/payload_data/…", data: [ {e, eid, …} ] }`, or
 * the query of `GET /i` as an object — to eventdb records. See docs/adapters.md for the mapping, the account
 * entity and what happens to events without identifiers or a session.
 *
 * @example
 * import { fromSnowplow } from 'eventdb/adapters';
 * const { records } = fromSnowplow(JSON.parse(body));            // POST /com.snowplowanalytics.snowplow/tp2
 * const { records: one } = fromSnowplow(Object.fromEntries(url.searchParams)); // GET /i
 */
export function fromSnowplow(payload: unknown, options: SnowplowOptions = {}): AdapterResult {
  if (!isObject(payload)) return badBody(issue('NOT_AN_OBJECT', '', `the body must be a JSON object, not ${describeType(payload)}`));
  let events: unknown[];
  if (payload['e'] !== undefined) events = [payload];
  else if (Array.isArray(payload['data'])) events = payload['data'];
  else return badBody(issue('MISSING_FIELD', 'data', 'neither a payload_data envelope { schema, data: [...] } nor an event with "e"'));
  const received = receivedAtMs(options);
  return mapCalls(events, 'event', 'eid', (event, issues) => {
    const record = mapEvent(event, options, received, issues);
    return record === undefined ? undefined : [record];
  });
}

function mapEvent(params: Record<string, unknown>, options: SnowplowOptions, received: number, issues: Issue[]): EventInput | undefined {
  const type = readId(params, 'e', issues);
  if (type === undefined) {
    if (issues.length === 0) issues.push(issue('MISSING_FIELD', 'e', 'an event needs its type "e"'));
    return undefined;
  }
  const unstruct = type === 'ue' ? readUnstruct(params, issues) : undefined;
  const contexts = readContexts(params, issues);
  const session = contexts.find((c) => schemaName(c.schema)?.name === 'client_session')?.data;
  const account = contexts.find((c) => schemaName(c.schema)?.name === 'account')?.data;
  const eventName = nameOf(type, params, unstruct, issues);
  const timestamp = timeOf(params, options, received, issues);
  const userId = readId(params, 'uid', issues);
  const profileId =
    readId(params, 'duid', issues) ??
    (session === undefined ? undefined : readId(session, 'userId', issues, 'co.client_session.userId')) ??
    readId(params, 'nuid', issues) ??
    readId(params, 'tnuid', issues) ??
    (userId === undefined ? (options.anonymousId ?? 'anonymous') : undefined);
  const accountId = account === undefined ? undefined : readId(account, 'id', issues, 'co.account.id');
  if (account !== undefined && accountId === undefined && !issues.some((i) => i.path === 'co.account.id')) {
    issues.push(issue('MISSING_FIELD', 'co.account.id', 'an account entity needs an id'));
  }
  if (issues.length > 0 || eventName === undefined) return undefined;
  const sessionId =
    readId(params, 'sid', issues) ??
    (session === undefined ? undefined : readId(session, 'sessionId', issues, 'co.client_session.sessionId')) ??
    daySessionId('snowplow', userId ?? profileId!, timestamp);
  const accountTraits = account === undefined ? {} : Object.fromEntries(Object.entries(account).filter(([key]) => key !== 'id'));
  const url = params['url'];
  return compact({
    eventId: readId(params, 'eid', issues) ?? derivedEventId('snowplow', params, SEND_TIME_PARAMS),
    profileId,
    userId,
    sessionId,
    accountId,
    pageId: typeof url === 'string' && url.trim() !== '' ? url : undefined,
    eventName,
    timestamp,
    data: dataOf(type, params, unstruct, contexts),
    accountAttributes: Object.keys(accountTraits).length > 0 ? { set: accountTraits } : undefined,
  });
}

function readUnstruct(params: Record<string, unknown>, issues: Issue[]): SelfDescribing | undefined {
  const inner = readEnvelope(params, 'ue_pr', 'ue_px', issues);
  if (inner === undefined) {
    if (issues.length === 0) issues.push(issue('MISSING_FIELD', 'ue_px', 'a self-describing event ("ue") needs ue_px or ue_pr'));
    return undefined;
  }
  return asSelfDescribing(inner, params['ue_pr'] === undefined ? 'ue_px.data' : 'ue_pr.data', issues);
}

function readContexts(params: Record<string, unknown>, issues: Issue[]): SelfDescribing[] {
  const inner = readEnvelope(params, 'co', 'cx', issues);
  if (inner === undefined) return [];
  const path = params['co'] === undefined ? 'cx.data' : 'co.data';
  if (!Array.isArray(inner)) {
    issues.push(issue('WRONG_TYPE', path, 'must be an array of context entities'));
    return [];
  }
  return inner.flatMap((entity, i) => asSelfDescribing(entity, `${path}[${i}]`, issues) ?? []);
}

function nameOf(type: string, params: Record<string, unknown>, unstruct: SelfDescribing | undefined, issues: Issue[]): string | undefined {
  if (type === 'ue') {
    if (unstruct === undefined) return undefined;
    const name = schemaName(unstruct.schema)?.name;
    if (name === undefined)
      issues.push(issue('WRONG_TYPE', 'ue_px.data.schema', `${JSON.stringify(unstruct.schema)} is not an Iglu URI iglu:vendor/name/format/version`));
    return name;
  }
  if (type === 'se') {
    const action = readId(params, 'se_ac', issues);
    if (action === undefined && !issues.some((i) => i.path === 'se_ac'))
      issues.push(issue('MISSING_FIELD', 'se_ac', 'a structured event ("se") needs an action'));
    return action;
  }
  return EVENT_NAMES[type] ?? type;
}

/** The true timestamp (`ttm`), else the device's (`dtm`, corrected by the send time `stm` when asked), else arrival. */
function timeOf(params: Record<string, unknown>, options: AdapterOptions, received: number, issues: Issue[]): string {
  const read = (key: string): { ms: number; iso: string } | undefined => (params[key] === undefined ? undefined : readTime(params[key], key, issues));
  const trueTime = read('ttm');
  if (trueTime !== undefined) return trueTime.iso;
  return eventTime(read('dtm'), read('stm'), options, received);
}

/** The event's own fields, its context entities (`$contexts`), and the remaining tracker parameters (`$params`). */
function dataOf(type: string, params: Record<string, unknown>, unstruct: SelfDescribing | undefined, contexts: SelfDescribing[]): JsonObject | undefined {
  const data: JsonObject = {};
  if (unstruct !== undefined) Object.assign(data, unstruct.data, { $schema: unstruct.schema });
  if (type === 'se') {
    for (const [param, field] of Object.entries(STRUCT_FIELDS)) {
      const value = params[param];
      if (typeof value === 'string') data[field] = field === 'value' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    }
  }
  for (const [param, field] of [
    ['url', 'url'],
    ['page', 'title'],
    ['refr', 'referrer'],
  ] as const) {
    if (typeof params[param] === 'string') data[field] = params[param];
  }
  if (contexts.length > 0) data['$contexts'] = contexts as unknown as JsonObject[];
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(params)) {
    if (!MAPPED_PARAMS.has(key) && !(key in STRUCT_FIELDS) && typeof value === 'string') rest[key] = value;
  }
  if (Object.keys(rest).length > 0) data['$params'] = rest;
  return Object.keys(data).length === 0 ? undefined : data;
}
