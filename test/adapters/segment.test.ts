// fromSegment / fromRudderStack: each call type of the Segment spec mapped to a record, and bad calls to structured errors.

import { describe, expect, it } from 'vitest';
import { fromRudderStack, fromSegment } from '../../src/adapters.js';
import { expectValid } from './valid.js';

const T = '2026-03-01T10:00:00.000Z';
const RECEIVED = Date.parse('2026-03-01T10:00:05.000Z');

interface MappingCase {
  name: string;
  call: Record<string, unknown>;
  record: Record<string, unknown>;
}

const MAPPINGS: MappingCase[] = [
  {
    name: 'track: event name, properties as data, context kept, page from context',
    call: {
      type: 'track',
      event: 'Order Completed',
      anonymousId: 'anon-1',
      messageId: 'm-1',
      timestamp: T,
      properties: { total: 30 },
      context: { sessionId: 1700000000, page: { url: 'https://shop.example/cart' } },
      integrations: { All: false },
      _metadata: { nodeVersion: '20' },
    },
    record: {
      eventId: 'm-1',
      profileId: 'anon-1',
      sessionId: '1700000000',
      pageId: 'https://shop.example/cart',
      eventName: 'Order Completed',
      timestamp: T,
      data: { total: 30, $context: { sessionId: 1700000000, page: { url: 'https://shop.example/cart' } } },
    },
  },
  {
    name: 'page: eventName page, url as pageId, name and category in data',
    call: { type: 'page', name: 'Home', category: 'Docs', userId: 'u-1', messageId: 'm-2', timestamp: T, properties: { url: 'https://x.example/' } },
    record: {
      eventId: 'm-2',
      userId: 'u-1',
      eventName: 'page',
      pageId: 'https://x.example/',
      sessionId: 'segment:u-1:2026-03-01',
      data: { url: 'https://x.example/', name: 'Home', category: 'Docs' },
    },
  },
  {
    name: 'screen without a url: its name is the page',
    call: { type: 'screen', name: 'Settings', anonymousId: 'a', messageId: 'm-3', timestamp: T },
    record: { eventName: 'screen', pageId: 'Settings', data: { name: 'Settings' } },
  },
  {
    name: 'identify after anonymous: links anonymousId to userId, traits set',
    call: { type: 'identify', anonymousId: 'anon-1', userId: 'u-1', messageId: 'm-4', timestamp: T, traits: { email: 'a@b.c', plan: 'pro' } },
    record: { profileId: 'anon-1', userId: 'u-1', eventName: 'identify', attributes: { set: { email: 'a@b.c', plan: 'pro' } } },
  },
  {
    name: 'group: account and its traits',
    call: { type: 'group', userId: 'u-1', groupId: 'acme', messageId: 'm-5', timestamp: T, traits: { name: 'Acme', employees: 40 } },
    record: { userId: 'u-1', accountId: 'acme', eventName: 'group', accountAttributes: { set: { name: 'Acme', employees: 40 } } },
  },
  {
    name: 'track with context.groupId: the account it happened in',
    call: { type: 'track', event: 'x', userId: 'u-1', messageId: 'm-6', timestamp: T, context: { groupId: 'acme' } },
    record: { accountId: 'acme' },
  },
  {
    name: 'alias: previousId becomes a profileId linked to the userId',
    call: { type: 'alias', previousId: 'old-anon', userId: 'u-1', messageId: 'm-7', timestamp: T },
    record: { profileId: 'old-anon', userId: 'u-1', eventName: 'alias' },
  },
  {
    name: 'numeric ids are read as strings; no timestamp: the arrival time',
    call: { type: 'track', event: 'x', userId: 42, messageId: 'm-8' },
    record: { userId: '42', timestamp: '2026-03-01T10:00:05.000Z' },
  },
];

describe('fromSegment mapping', () => {
  it('makes records that eventdb validation accepts', () => {
    const records = fromSegment({ batch: MAPPINGS.map((m) => m.call) }, { receivedAt: RECEIVED }).records;
    expect(records.length).toBeGreaterThanOrEqual(MAPPINGS.length);
    expectValid(records);
  });

  it.each(MAPPINGS)('$name', ({ call, record }) => {
    const result = fromSegment({ batch: [call], sentAt: T }, { receivedAt: RECEIVED });
    expect(result.errors).toEqual([]);
    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject(record);
  });

  it('maps a track call fully, and leaves out integrations, _metadata and sentAt', () => {
    const { records } = fromSegment({ type: 'track', event: 'e', anonymousId: 'a', messageId: 'm', timestamp: T, sentAt: T, integrations: {}, _metadata: {} });
    expect(records).toEqual([{ eventId: 'm', profileId: 'a', sessionId: 'segment:a:2026-03-01', eventName: 'e', timestamp: T }]);
  });

  it('reads a single call sent to /v1/<type> without a type', () => {
    const { records } = fromSegment({ event: 'e', userId: 'u', messageId: 'm', timestamp: T }, { defaultType: 'track' });
    expect(records[0]).toMatchObject({ eventName: 'e', userId: 'u' });
  });

  it('derives the same eventId for a call without messageId, whatever its sentAt', () => {
    const call = { type: 'track', event: 'e', userId: 'u', timestamp: T };
    const a = fromSegment({ batch: [{ ...call, sentAt: '2026-03-01T10:00:01Z' }] }).records[0]!;
    const b = fromSegment({ batch: [{ ...call, sentAt: '2026-03-01T10:09:00Z' }] }).records[0]!;
    expect(a.eventId).toMatch(/^segment-[0-9a-f]{32}$/);
    expect(b.eventId).toBe(a.eventId);
  });

  it('corrects clock skew by receivedAt - sentAt only when asked', () => {
    const body = { batch: [{ type: 'track', event: 'e', userId: 'u', messageId: 'm', timestamp: '2026-03-01T10:00:00Z' }], sentAt: '2026-03-01T10:00:10Z' };
    expect(fromSegment(body, { receivedAt: RECEIVED }).records[0]!.timestamp).toBe('2026-03-01T10:00:00Z');
    // The device clock ran 5 s fast: sent "at 10:00:10", received at 10:00:05.
    expect(fromSegment(body, { receivedAt: RECEIVED, correctClockSkew: true }).records[0]!.timestamp).toBe('2026-03-01T09:59:55.000Z');
  });
});

const BAD: { name: string; call: unknown; codes: [string, string][] }[] = [
  { name: 'not an object', call: 'track', codes: [['NOT_AN_OBJECT', '']] },
  { name: 'unknown type', call: { type: 'purchase', userId: 'u', messageId: 'm' }, codes: [['UNKNOWN_CALL', 'type']] },
  { name: 'no identifier', call: { type: 'track', event: 'e', messageId: 'm', timestamp: T }, codes: [['MISSING_IDENTIFIER', 'anonymousId']] },
  { name: 'track without event', call: { type: 'track', userId: 'u', messageId: 'm', timestamp: T }, codes: [['MISSING_FIELD', 'event']] },
  { name: 'bad timestamp', call: { type: 'track', event: 'e', userId: 'u', timestamp: '2026-02-30T10:00:00Z' }, codes: [['INVALID_TIMESTAMP', 'timestamp']] },
  { name: 'properties not an object', call: { type: 'track', event: 'e', userId: 'u', properties: [1] }, codes: [['WRONG_TYPE', 'properties']] },
  { name: 'alias without previousId', call: { type: 'alias', userId: 'u', messageId: 'm' }, codes: [['MISSING_FIELD', 'previousId']] },
  { name: 'group without groupId', call: { type: 'group', userId: 'u', messageId: 'm' }, codes: [['MISSING_FIELD', 'groupId']] },
];

describe('fromSegment bad calls', () => {
  it.each(BAD)('$name → structured errors with its index, good calls still mapped', ({ call, codes }) => {
    const good = { type: 'track', event: 'ok', userId: 'u', messageId: 'good', timestamp: T };
    const result = fromSegment({ batch: [good, call] });
    expect(result.records.map((r) => r.eventId)).toEqual(['good']);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.index).toBe(1);
    expect(result.errors[0]!.input).toEqual(call);
    expect(result.errors[0]!.errors.map((e) => [e.code, e.path])).toEqual(codes);
    for (const e of result.errors[0]!.errors) expect(e.message).toEqual(expect.any(String));
  });

  it.each([
    ['a string', 'hello'],
    ['batch not an array', { batch: {} }],
    ['neither a batch nor a call', { hello: 1 }],
  ])('a body that is %s is a bodyError', (_name, body) => {
    const result = fromSegment(body);
    expect(result.bodyError).toMatchObject({ code: expect.any(String), path: expect.any(String) });
    expect(result.records).toEqual([]);
  });
});

describe('fromRudderStack', () => {
  it('reads originalTimestamp, a numeric context.sessionId, and derives ids with its own prefix', () => {
    const call = { type: 'track', event: 'e', anonymousId: 'a', originalTimestamp: T, context: { sessionId: 17 }, channel: 'server' };
    const { records } = fromRudderStack({ batch: [call], sentAt: T });
    expect(records[0]).toMatchObject({ timestamp: T, sessionId: '17', profileId: 'a' });
    expect(records[0]!.eventId).toMatch(/^rudderstack-/);
  });
});
