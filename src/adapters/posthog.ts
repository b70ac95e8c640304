// fromPostHog: a request body of a PostHog SDK (posthog-node, posthog-js, the capture API) as eventdb records.

import { issue, describeType, type Issue } from '../schema/issues.js';
import type { JsonObject } from '../schema/json-value.js';
import type { EventInput } from '../schema/record.js';
import { badBody, mapCalls, type AdapterOptions, type AdapterResult } from './adapter-result.js';
import { attributeUpdate, compact, daySessionId, derivedEventId, eventTime, isObject, readId, readObject, readTime, receivedAtMs, without } from './common.js';

/** Options of `fromPostHog`. */
export interface PostHogOptions extends AdapterOptions {
  /** Which `$groups` entry is the event's account (default: the first one). */
  groupType?: string;
  /**
   * The identifier a `$groupidentify` sent without a person (distinct_id `$<type>_<key>`) is stored under: a
   * placeholder, so the update reaches the account and no profile (default `anonymous`).
   */
  groupPlaceholderId?: string;
}

/** Properties the mapping consumes: they become identifiers, sessions, accounts or attributes, not `data`. */
const MAPPED_PROPERTIES = [
  '$set',
  '$set_once',
  '$unset',
  '$anon_distinct_id',
  '$device_id',
  '$session_id',
  '$groups',
  '$group_type',
  '$group_key',
  '$group_set',
  'distinct_id',
  'alias',
  'token',
];
const SEND_TIME_FIELDS = ['sent_at', 'api_key', 'token'];

/**
 * Maps one PostHog request body — `{ api_key, batch: [...], sent_at }` (`/batch/`), one event (`/capture/`,
 * `/e/`, `/i/v0/e/`) or an array of events — to eventdb records. The `distinct_id` is a profileId; `$identify`
 * and `$create_alias` link it (and `$anon_distinct_id` or the alias) to a userId of the same value.
 * See docs/adapters.md.
 *
 * @example
 * import { fromPostHog } from 'eventdb/adapters';
 * const { records, errors } = fromPostHog(JSON.parse(body));
 */
export function fromPostHog(payload: unknown, options: PostHogOptions = {}): AdapterResult {
  let events: unknown[];
  let envelope: Record<string, unknown> = {};
  if (Array.isArray(payload)) events = payload;
  else if (!isObject(payload)) return badBody(issue('NOT_AN_OBJECT', '', `the body must be a JSON object or array, not ${describeType(payload)}`));
  else if (payload['batch'] !== undefined) {
    if (!Array.isArray(payload['batch'])) return badBody(issue('WRONG_TYPE', 'batch', `must be an array, not ${describeType(payload['batch'])}`));
    events = payload['batch'];
    envelope = payload;
  } else if (payload['event'] !== undefined) events = [payload];
  else return badBody(issue('MISSING_FIELD', 'batch', 'neither a batch nor an event'));
  const received = receivedAtMs(options);
  const sentAt = typeof envelope['sent_at'] === 'string' ? readTime(envelope['sent_at'], 'sent_at', []) : undefined;
  return mapCalls(events, 'event', 'uuid', (event, issues) => mapEvent(event, { options, received, sentAt }, issues));
}

interface EventContext {
  options: PostHogOptions;
  received: number;
  sentAt: { ms: number } | undefined;
}

/** One event → its record, plus the self-link of an identity event. */
function mapEvent(event: Record<string, unknown>, ctx: EventContext, issues: Issue[]): EventInput[] {
  const properties = readObject(event, 'properties', issues) ?? {};
  const eventName = readId(event, 'event', issues);
  if (eventName === undefined && !issues.some((i) => i.path === 'event')) issues.push(issue('MISSING_FIELD', 'event', 'an event needs a name'));
  const distinctId = readId(event, 'distinct_id', issues) ?? readId(properties, 'distinct_id', issues, 'properties.distinct_id');
  if (distinctId === undefined && !issues.some((i) => i.path.endsWith('distinct_id')))
    issues.push(issue('MISSING_IDENTIFIER', 'distinct_id', 'an event needs a distinct_id'));
  const ids = identifiersOf(eventName, distinctId, properties, ctx.options, issues);
  const timestamp = timeOf(event, properties, ctx, issues);
  const attributes = attributesOf(event, properties, issues);
  const account = accountOf(eventName, properties, ctx.options, issues);
  if (issues.length > 0 || eventName === undefined || ids === undefined) return [];
  const eventId = readId(event, 'uuid', issues) ?? derivedEventId('posthog', event, SEND_TIME_FIELDS);
  const sessionId =
    readId(properties, '$session_id', issues, 'properties.$session_id') ??
    readId(event, 'session_id', issues) ??
    daySessionId('posthog', ids.profileId ?? ids.userId!, timestamp);
  const pageUrl = properties['$current_url'];
  const record: EventInput = compact({
    eventId,
    profileId: ids.profileId,
    userId: ids.userId,
    sessionId,
    accountId: account?.accountId,
    pageId: typeof pageUrl === 'string' && pageUrl.trim() !== '' ? pageUrl : undefined,
    eventName,
    timestamp,
    data: without(properties, MAPPED_PROPERTIES),
    attributes,
    accountAttributes: account?.update,
  });
  if (issues.length > 0) return [];
  if (ids.selfLink === undefined) return [record];
  // The distinct_id itself, as the profileId of every other event of this person, joins the userId too.
  const link: EventInput = { eventId: `${eventId}:self`, profileId: ids.selfLink, userId: ids.selfLink, sessionId, eventName, timestamp };
  return [record, link];
}

interface Identifiers {
  profileId?: string;
  userId?: string;
  /** Set for `$identify` / `$create_alias` linking another id: the distinct_id to link to its own userId. */
  selfLink?: string;
}

/**
 * Who an event is about. `$identify` and `$create_alias` name a userId (the distinct_id) and the anonymous id or
 * alias it absorbs; posthog-js events carry `$device_id`, the anonymous id, beside an identified distinct_id;
 * any other distinct_id is a profileId (linked to the userId of the same value once it is identified).
 */
function identifiersOf(
  eventName: string | undefined,
  distinctId: string | undefined,
  properties: JsonObject,
  options: PostHogOptions,
  issues: Issue[],
): Identifiers | undefined {
  if (distinctId === undefined) return undefined;
  const other =
    eventName === '$identify'
      ? readId(properties, '$anon_distinct_id', issues, 'properties.$anon_distinct_id')
      : eventName === '$create_alias'
        ? readId(properties, 'alias', issues, 'properties.alias')
        : undefined;
  if (eventName === '$identify' || eventName === '$create_alias') {
    if (other === undefined || other === distinctId) return { profileId: distinctId, userId: distinctId };
    return { profileId: other, userId: distinctId, selfLink: distinctId };
  }
  if (eventName === '$groupidentify') {
    const type = properties['$group_type'];
    const key = properties['$group_key'];
    if (typeof type !== 'string' || typeof key !== 'string') return { profileId: distinctId };
    // Sent without a person, the distinct_id is `$<type>_<key>`: no one's profile.
    if (distinctId === `$${type}_${key}`) return { profileId: options.groupPlaceholderId ?? 'anonymous' };
  }
  const deviceId = readId(properties, '$device_id', issues, 'properties.$device_id');
  if (deviceId !== undefined && deviceId !== distinctId) return { profileId: deviceId, userId: distinctId };
  return { profileId: distinctId };
}

/** The event's `timestamp` (ISO or epoch ms), else `sent_at - offset`, else the arrival time. */
function timeOf(event: Record<string, unknown>, properties: JsonObject, ctx: EventContext, issues: Issue[]): string {
  const sent = typeof event['sent_at'] === 'string' ? readTime(event['sent_at'], 'sent_at', issues) : ctx.sentAt;
  let device = event['timestamp'] === undefined || event['timestamp'] === null ? undefined : readTime(event['timestamp'], 'timestamp', issues);
  if (device === undefined && typeof event['offset'] === 'number' && sent !== undefined) {
    const ms = sent.ms - event['offset'];
    device = readTime(ms, 'offset', issues);
  }
  if (device === undefined && properties['$time'] !== undefined && typeof properties['$time'] === 'number') {
    device = readTime(Math.round(properties['$time'] * 1000), 'properties.$time', issues);
  }
  return eventTime(device, sent, ctx.options, ctx.received);
}

/** `$set`, `$set_once` and `$unset`, in `properties` or at the top of the event (the capture API takes both). */
function attributesOf(event: Record<string, unknown>, properties: JsonObject, issues: Issue[]): EventInput['attributes'] {
  const inProps = (key: string): JsonObject | undefined => readObject(properties, key, issues, `properties.${key}`) ?? readObject(event, key, issues);
  const unsetValue = properties['$unset'] ?? event['$unset'];
  let unset: string[] | undefined;
  if (unsetValue !== undefined && unsetValue !== null) {
    if (Array.isArray(unsetValue) && unsetValue.every((key) => typeof key === 'string')) unset = unsetValue;
    else issues.push(issue('WRONG_TYPE', 'properties.$unset', 'must be an array of attribute names'));
  }
  return attributeUpdate(inProps('$set'), inProps('$set_once'), unset);
}

/** The account: `$groupidentify`'s group (with `$group_set` as its attributes), else the chosen `$groups` entry. */
function accountOf(
  eventName: string | undefined,
  properties: JsonObject,
  options: PostHogOptions,
  issues: Issue[],
): { accountId: string; update?: EventInput['accountAttributes'] } | undefined {
  if (eventName === '$groupidentify') {
    const accountId = readId(properties, '$group_key', issues, 'properties.$group_key');
    if (accountId === undefined) {
      if (!issues.some((i) => i.path === 'properties.$group_key'))
        issues.push(issue('MISSING_FIELD', 'properties.$group_key', 'a $groupidentify needs a group key'));
      return undefined;
    }
    const update = attributeUpdate(readObject(properties, '$group_set', issues, 'properties.$group_set'), undefined, undefined);
    return update === undefined ? { accountId } : { accountId, update };
  }
  const groups = readObject(properties, '$groups', issues, 'properties.$groups');
  if (groups === undefined) return undefined;
  const type = options.groupType ?? Object.keys(groups)[0];
  if (type === undefined) return undefined;
  const accountId = readId(groups, type, issues, `properties.$groups.${type}`);
  return accountId === undefined ? undefined : { accountId };
}
