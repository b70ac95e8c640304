// The Segment spec (track, page, screen, identify, group, alias) mapped to eventdb records; Segment and RudderStack share it.

import { issue, describeType, type Issue } from '../schema/issues.js';
import type { JsonObject } from '../schema/json-value.js';
import type { EventInput } from '../schema/record.js';
import { badBody, mapCalls, type AdapterOptions, type AdapterResult } from './adapter-result.js';
import { attributeUpdate, compact, daySessionId, derivedEventId, eventTime, isObject, readId, readObject, readTime, receivedAtMs } from './common.js';

/** The call types of the Segment spec. */
export const SEGMENT_CALL_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type SegmentCallType = (typeof SEGMENT_CALL_TYPES)[number];

/** How one SDK family differs: its name (derived ids, day sessions) and where it puts the device time. */
export interface SegmentDialect {
  source: 'segment' | 'rudderstack';
  /** Fields holding the device time, first found wins. */
  timeFields: readonly string[];
}

/** Options of `fromSegment` / `fromRudderStack`. */
export interface SegmentOptions extends AdapterOptions {
  /** The call type of a single call sent without `type` (the collector passes it from the path, `/v1/track`). */
  defaultType?: SegmentCallType;
}

/** Fields of a call that are send-time bookkeeping: left out of a derived eventId, so a retry maps to the same id. */
const SEND_TIME_FIELDS = ['sentAt', 'receivedAt', '_metadata', 'writeKey'];

/** Maps a request body: `{ batch: [...] }`, or one call. */
export function fromSegmentSpec(payload: unknown, options: SegmentOptions, dialect: SegmentDialect): AdapterResult {
  if (!isObject(payload)) return badBody(issue('NOT_AN_OBJECT', '', `the body must be a JSON object, not ${describeType(payload)}`));
  const received = receivedAtMs(options);
  // The batch's sentAt serves calls without their own; an unreadable one is ignored (it only ever corrects skew).
  const sentAt = payload['sentAt'] === undefined || payload['sentAt'] === null ? undefined : readTime(payload['sentAt'], 'sentAt', []);
  let calls: unknown[];
  if (payload['batch'] !== undefined) {
    if (!Array.isArray(payload['batch'])) return badBody(issue('WRONG_TYPE', 'batch', `must be an array, not ${describeType(payload['batch'])}`));
    calls = payload['batch'];
  } else {
    if (payload['type'] === undefined && options.defaultType === undefined)
      return badBody(issue('MISSING_FIELD', 'batch', 'neither a batch nor a call with a type'));
    calls = [payload];
  }
  return mapCalls(calls, 'call', 'messageId', (call, issues) => {
    const record = mapCall(call, { options, dialect, received, sentAt }, issues);
    return record === undefined ? undefined : [record];
  });
}

interface CallContext {
  options: SegmentOptions;
  dialect: SegmentDialect;
  received: number;
  sentAt: { ms: number } | undefined;
}

/** One call → one record, or undefined with the issues pushed. */
function mapCall(call: Record<string, unknown>, ctx: CallContext, issues: Issue[]): EventInput | undefined {
  const type = callType(call, ctx.options, issues);
  const context = readObject(call, 'context', issues);
  const properties = readObject(call, 'properties', issues);
  const traits = readObject(call, 'traits', issues);
  let profileId = readId(call, 'anonymousId', issues);
  const userId = readId(call, 'userId', issues);
  if (type === 'alias') {
    // alias(previousId → userId): the previous identifier becomes a profileId linked to the userId.
    profileId = readId(call, 'previousId', issues);
    if (profileId === undefined && !issues.some((i) => i.path === 'previousId'))
      issues.push(issue('MISSING_FIELD', 'previousId', 'an alias call needs previousId'));
  }
  if (profileId === undefined && userId === undefined && issues.length === 0) {
    issues.push(issue('MISSING_IDENTIFIER', 'anonymousId', 'a call needs an anonymousId or a userId'));
  }
  const timestamp = callTime(call, ctx, issues);
  const eventName = type === 'track' ? readId(call, 'event', issues) : type;
  if (type === 'track' && eventName === undefined && !issues.some((i) => i.path === 'event'))
    issues.push(issue('MISSING_FIELD', 'event', 'a track call needs an event name'));
  const groupId = readId(call, 'groupId', issues) ?? (context === undefined ? undefined : readId(context, 'groupId', issues, 'context.groupId'));
  if (type === 'group' && groupId === undefined && !issues.some((i) => i.path === 'groupId'))
    issues.push(issue('MISSING_FIELD', 'groupId', 'a group call needs a groupId'));
  if (issues.length > 0 || type === undefined || eventName === undefined) return undefined;
  const sessionId = sessionOf(context, issues) ?? daySessionId(ctx.dialect.source, profileId ?? userId!, timestamp);
  const record: EventInput = compact({
    eventId: readId(call, 'messageId', issues) ?? derivedEventId(ctx.dialect.source, call, SEND_TIME_FIELDS),
    profileId,
    userId,
    sessionId,
    accountId: groupId,
    pageId: pageOf(type, call, properties, context),
    eventName,
    timestamp,
    data: dataOf(type, call, properties, context),
    attributes: type === 'identify' ? attributeUpdate(traits, undefined, undefined) : undefined,
    accountAttributes: type === 'group' ? attributeUpdate(traits, undefined, undefined) : undefined,
  });
  return issues.length > 0 ? undefined : record;
}

function callType(call: Record<string, unknown>, options: SegmentOptions, issues: Issue[]): SegmentCallType | undefined {
  const type = call['type'] ?? options.defaultType;
  if (typeof type === 'string' && (SEGMENT_CALL_TYPES as readonly string[]).includes(type.toLowerCase())) return type.toLowerCase() as SegmentCallType;
  issues.push(
    type === undefined
      ? issue('MISSING_FIELD', 'type', `a call needs a type: ${SEGMENT_CALL_TYPES.join(', ')}`)
      : issue('UNKNOWN_CALL', 'type', `${JSON.stringify(type)} is not a call type of the Segment spec (${SEGMENT_CALL_TYPES.join(', ')})`),
  );
  return undefined;
}

/** The device time (first of the dialect's fields), corrected by the call's or the batch's `sentAt` when asked. */
function callTime(call: Record<string, unknown>, ctx: CallContext, issues: Issue[]): string {
  const field = ctx.dialect.timeFields.find((name) => call[name] !== undefined && call[name] !== null);
  const device = field === undefined ? undefined : readTime(call[field], field, issues);
  const sent = call['sentAt'] === undefined || call['sentAt'] === null ? ctx.sentAt : readTime(call['sentAt'], 'sentAt', issues);
  return eventTime(device, sent, ctx.options, ctx.received);
}

/** `context.sessionId` (RudderStack's browser SDK sends a number). */
function sessionOf(context: JsonObject | undefined, issues: Issue[]): string | undefined {
  return context === undefined ? undefined : readId(context, 'sessionId', issues, 'context.sessionId');
}

/** The page a call happened on: the page's URL (properties, then `context.page`), else a page call's name. */
function pageOf(type: SegmentCallType, call: Record<string, unknown>, properties: JsonObject | undefined, context: JsonObject | undefined): string | undefined {
  const page = isObject(context?.['page']) ? context['page'] : undefined;
  for (const candidate of [type === 'page' || type === 'screen' ? properties?.['url'] : undefined, page?.['url']]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate;
  }
  if ((type === 'page' || type === 'screen') && typeof call['name'] === 'string' && call['name'].trim() !== '') return call['name'];
  return undefined;
}

/** `data`: the properties (with a page or screen call's name and category), and the SDK's context under `$context`. */
function dataOf(
  type: SegmentCallType,
  call: Record<string, unknown>,
  properties: JsonObject | undefined,
  context: JsonObject | undefined,
): JsonObject | undefined {
  const data: JsonObject = { ...properties };
  if (type === 'page' || type === 'screen') {
    if (typeof call['name'] === 'string') data['name'] = call['name'];
    if (typeof call['category'] === 'string') data['category'] = call['category'];
  }
  if (context !== undefined && Object.keys(context).length > 0) data['$context'] = context;
  return Object.keys(data).length === 0 ? undefined : data;
}
