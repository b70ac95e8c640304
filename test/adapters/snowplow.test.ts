// fromSnowplow: page views, structured and self-describing events, contexts (base64url and plain), GET and POST; bad events.

import { describe, expect, it } from 'vitest';
import { fromSnowplow } from '../../src/adapters.js';
import { expectValid } from './valid.js';

const DTM = '1772359200000'; // 2026-03-01T10:00:00.000Z
const T = '2026-03-01T10:00:00.000Z';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const UE = (schema: string, data: unknown) => ({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema, data } });
const CONTEXTS = (...entities: unknown[]) => ({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1', data: entities });
const ACCOUNT = { schema: 'iglu:com.acme/account/jsonschema/1-0-0', data: { id: 'acme', plan: 'gold' } };
const SESSION = {
  schema: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
  data: { userId: 'dev-1', sessionId: 'cs-1', sessionIndex: 3 },
};

const MAPPINGS: { name: string; event: Record<string, string>; record: Record<string, unknown> }[] = [
  {
    name: 'page view: duid, uid, sid, url, title; tracker parameters kept in $params',
    event: {
      e: 'pv',
      eid: 'e1',
      duid: 'd1',
      uid: 'u1',
      sid: 's1',
      url: 'https://x.example/',
      page: 'Home',
      dtm: DTM,
      stm: DTM,
      p: 'web',
      aid: 'shop',
      tv: 'js-4',
    },
    record: {
      eventId: 'e1',
      profileId: 'd1',
      userId: 'u1',
      sessionId: 's1',
      pageId: 'https://x.example/',
      eventName: 'page_view',
      timestamp: T,
      data: { url: 'https://x.example/', title: 'Home', $params: { p: 'web', aid: 'shop', tv: 'js-4' } },
    },
  },
  {
    name: 'structured event: named by its action, value a number',
    event: { e: 'se', eid: 'e2', duid: 'd1', se_ca: 'shop', se_ac: 'add-to-basket', se_la: 'sku-1', se_va: '2.5', dtm: DTM },
    record: { eventName: 'add-to-basket', data: { category: 'shop', action: 'add-to-basket', label: 'sku-1', value: 2.5 } },
  },
  {
    name: 'self-describing event in base64url ue_px: named by its schema',
    event: { e: 'ue', eid: 'e3', uid: 'u1', ue_px: b64(UE('iglu:com.acme/checkout/jsonschema/1-0-0', { total: 30 })), dtm: DTM },
    record: { eventName: 'checkout', userId: 'u1', data: { total: 30, $schema: 'iglu:com.acme/checkout/jsonschema/1-0-0' } },
  },
  {
    name: 'plain ue_pr and co: the account entity and the client session',
    event: {
      e: 'ue',
      eid: 'e4',
      ue_pr: JSON.stringify(UE('iglu:com.acme/login/jsonschema/1-0-0', {})),
      co: JSON.stringify(CONTEXTS(ACCOUNT, SESSION)),
      dtm: DTM,
    },
    record: { eventName: 'login', profileId: 'dev-1', sessionId: 'cs-1', accountId: 'acme', accountAttributes: { set: { plan: 'gold' } } },
  },
  {
    name: 'base64 cx; the true timestamp ttm wins over dtm',
    event: { e: 'pv', eid: 'e5', duid: 'd', cx: b64(CONTEXTS(ACCOUNT)), dtm: '1772359100000', ttm: DTM },
    record: { accountId: 'acme', timestamp: T },
  },
  {
    name: 'no user id of any kind: the placeholder "anonymous", a day session',
    event: { e: 'pv', eid: 'e6', dtm: DTM },
    record: { profileId: 'anonymous', sessionId: 'snowplow:anonymous:2026-03-01' },
  },
];

describe('fromSnowplow mapping', () => {
  it('makes records that eventdb validation accepts', () => {
    const records = fromSnowplow({ data: MAPPINGS.map((m) => m.event) }).records;
    expect(records.length).toBeGreaterThanOrEqual(MAPPINGS.length);
    expectValid(records);
  });

  it.each(MAPPINGS)('$name (POST payload_data)', ({ event, record }) => {
    const result = fromSnowplow({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [event] });
    expect(result.errors).toEqual([]);
    expect(result.records[0]).toMatchObject(record);
  });

  it.each(MAPPINGS)('$name (GET query)', ({ event, record }) => {
    expect(fromSnowplow({ ...event }).records[0]).toMatchObject(record);
  });

  it.each([
    ['no e', { eid: 'x' }, [['MISSING_FIELD', 'e']]],
    ['ue without payload', { e: 'ue', eid: 'x' }, [['MISSING_FIELD', 'ue_px']]],
    ['ue_px not base64 JSON', { e: 'ue', eid: 'x', ue_px: 'bm90IGpzb24' }, [['INVALID_JSON', 'ue_px']]],
    ['se without action', { e: 'se', eid: 'x', se_ca: 'c' }, [['MISSING_FIELD', 'se_ac']]],
    ['bad dtm', { e: 'pv', eid: 'x', dtm: 'soon' }, [['INVALID_TIMESTAMP', 'dtm']]],
    [
      'account entity without id',
      { e: 'pv', eid: 'x', co: JSON.stringify(CONTEXTS({ schema: 'iglu:com.acme/account/jsonschema/1-0-0', data: {} })) },
      [['MISSING_FIELD', 'co.account.id']],
    ],
  ])('%s → structured errors', (_name, event, codes) => {
    const result = fromSnowplow({ schema: 's', data: [{ e: 'pv', eid: 'good', duid: 'd', dtm: DTM }, event] });
    expect(result.records.map((r) => r.eventId)).toEqual(['good']);
    expect(result.errors.map((e) => ({ index: e.index, codes: e.errors.map((i) => [i.code, i.path]) }))).toEqual([{ index: 1, codes }]);
  });

  it('a body with neither data nor e is a bodyError', () => {
    expect(fromSnowplow({ schema: 'x' }).bodyError?.code).toBe('MISSING_FIELD');
  });
});
