// fromPostHog: capture, identify, alias, groups and $set/$set_once/$unset mapped to records; bad events to structured errors.

import { describe, expect, it } from 'vitest';
import { fromPostHog } from '../../src/adapters.js';
import { expectValid } from './valid.js';

const T = '2026-03-01T10:00:00.000Z';

const MAPPINGS: { name: string; event: Record<string, unknown>; records: Record<string, unknown>[] }[] = [
  {
    name: '$pageview of an anonymous distinct_id: a profileId, $current_url the page, $session_id the session',
    event: {
      event: '$pageview',
      distinct_id: 'anon-1',
      uuid: 'u1',
      timestamp: T,
      properties: { $current_url: 'https://x.example/a', $session_id: 's-1', $lib: 'web' },
    },
    records: [
      {
        eventId: 'u1',
        profileId: 'anon-1',
        sessionId: 's-1',
        pageId: 'https://x.example/a',
        eventName: '$pageview',
        timestamp: T,
        data: { $current_url: 'https://x.example/a', $lib: 'web' },
      },
    ],
  },
  {
    name: '$identify with $anon_distinct_id: links it, and the distinct_id itself, to the userId; $set and $set_once',
    event: {
      event: '$identify',
      distinct_id: 'user-1',
      uuid: 'u2',
      timestamp: T,
      properties: { $anon_distinct_id: 'anon-1', $set: { email: 'a@b.c' }, $set_once: { first_seen_via: 'ad' } },
    },
    records: [
      {
        eventId: 'u2',
        profileId: 'anon-1',
        userId: 'user-1',
        eventName: '$identify',
        attributes: { set: { email: 'a@b.c' }, setOnce: { first_seen_via: 'ad' } },
      },
      { eventId: 'u2:self', profileId: 'user-1', userId: 'user-1', eventName: '$identify' },
    ],
  },
  {
    name: '$identify without an anonymous id: one self-link',
    event: { event: '$identify', distinct_id: 'user-1', uuid: 'u3', timestamp: T, properties: { $set: { plan: 'pro' } } },
    records: [{ eventId: 'u3', profileId: 'user-1', userId: 'user-1', attributes: { set: { plan: 'pro' } } }],
  },
  {
    name: '$create_alias: the alias becomes a profileId of the distinct_id',
    event: { event: '$create_alias', distinct_id: 'user-1', uuid: 'u4', timestamp: T, properties: { distinct_id: 'user-1', alias: 'crm-77' } },
    records: [
      { eventId: 'u4', profileId: 'crm-77', userId: 'user-1', eventName: '$create_alias' },
      { eventId: 'u4:self', profileId: 'user-1', userId: 'user-1' },
    ],
  },
  {
    name: 'posthog-js identified event: $device_id is the profileId, distinct_id the userId',
    event: { event: 'clicked', distinct_id: 'user-1', uuid: 'u5', timestamp: T, properties: { $device_id: 'dev-9' } },
    records: [{ profileId: 'dev-9', userId: 'user-1' }],
  },
  {
    name: '$groups: the first group is the account; $unset',
    event: { event: 'paid', distinct_id: 'user-1', uuid: 'u6', timestamp: T, properties: { $groups: { company: 'acme', team: 't1' }, $unset: ['trial'] } },
    records: [{ accountId: 'acme', attributes: { unset: ['trial'] } }],
  },
  {
    name: '$groupidentify without a person: $group_set on the account, a placeholder identifier',
    event: {
      event: '$groupidentify',
      distinct_id: '$company_acme',
      uuid: 'u7',
      timestamp: T,
      properties: { $group_type: 'company', $group_key: 'acme', $group_set: { name: 'Acme' } },
    },
    records: [{ profileId: 'anonymous', accountId: 'acme', accountAttributes: { set: { name: 'Acme' } }, eventName: '$groupidentify' }],
  },
  {
    name: 'top-level $set and session_id (capture API), ms-epoch timestamp',
    event: { event: 'x', distinct_id: 'd', uuid: 'u8', timestamp: 1772359200000, session_id: 's-top', $set: { a: 1 } },
    records: [{ sessionId: 's-top', timestamp: T, attributes: { set: { a: 1 } } }],
  },
];

describe('fromPostHog mapping', () => {
  it('makes records that eventdb validation accepts', () => {
    const records = fromPostHog({ batch: MAPPINGS.map((m) => m.event) }).records;
    expect(records.length).toBeGreaterThanOrEqual(MAPPINGS.length);
    expectValid(records);
  });

  it.each(MAPPINGS)('$name', ({ event, records }) => {
    const result = fromPostHog({ api_key: 'k', batch: [event], sent_at: T });
    expect(result.errors).toEqual([]);
    expect(result.records).toHaveLength(records.length);
    records.forEach((record, i) => expect(result.records[i]).toMatchObject(record));
  });

  it('takes one event, or an array of events', () => {
    const event = { event: 'x', distinct_id: 'd', uuid: 'one', timestamp: T };
    expect(fromPostHog(event).records.map((r) => r.eventId)).toEqual(['one']);
    expect(fromPostHog([event, { ...event, uuid: 'two' }]).records.map((r) => r.eventId)).toEqual(['one', 'two']);
  });

  it('without a session: one per distinct_id and UTC day', () => {
    expect(fromPostHog({ event: 'x', distinct_id: 'd', uuid: 'u', timestamp: T }).records[0]!.sessionId).toBe('posthog:d:2026-03-01');
  });

  it('picks the $groups entry named by groupType', () => {
    const event = { event: 'x', distinct_id: 'd', uuid: 'u', timestamp: T, properties: { $groups: { company: 'acme', team: 't1' } } };
    expect(fromPostHog(event, { groupType: 'team' }).records[0]!.accountId).toBe('t1');
  });

  it.each([
    ['no event name', { distinct_id: 'd', uuid: 'u', properties: {} }, [['MISSING_FIELD', 'event']]],
    ['no distinct_id', { event: 'x', uuid: 'u' }, [['MISSING_IDENTIFIER', 'distinct_id']]],
    ['bad timestamp', { event: 'x', distinct_id: 'd', timestamp: 'yesterday' }, [['INVALID_TIMESTAMP', 'timestamp']]],
    ['$unset not a list', { event: 'x', distinct_id: 'd', properties: { $unset: 'a' } }, [['WRONG_TYPE', 'properties.$unset']]],
    [
      '$groupidentify without a key',
      { event: '$groupidentify', distinct_id: 'd', properties: { $group_type: 'company' } },
      [['MISSING_FIELD', 'properties.$group_key']],
    ],
  ])('%s → structured errors', (_name, event, codes) => {
    const result = fromPostHog({ batch: [{ event: 'ok', distinct_id: 'd', uuid: 'good', timestamp: T }, event] });
    expect(result.records.map((r) => r.eventId)).toEqual(['good']);
    expect(result.errors.map((e) => ({ index: e.index, codes: e.errors.map((i) => [i.code, i.path]) }))).toEqual([{ index: 1, codes }]);
  });

  it('a body that is neither a batch nor an event is a bodyError', () => {
    expect(fromPostHog({ hello: 1 }).bodyError?.code).toBe('MISSING_FIELD');
    expect(fromPostHog(7).bodyError?.code).toBe('NOT_AN_OBJECT');
  });
});
