// The real SDK packages (Segment, RudderStack, PostHog, Snowplow) against `eventdb serve` on loopback: stitched profiles,
// attributes, accounts and sessions read through the API beside the running writer, and every request replayed gives only duplicates.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { PostHog } from 'posthog-node';
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { recordingProxy, replay, startServe, type ServeChild } from './helpers.js';

const KEYS = { segment: 'seg-key', rudder: 'rudder-key', posthog: 'phc_project', snowplow: 'sp-key' };

let dir: string;
let serve: ServeChild;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
let db: EventDB;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-sdks-'));
  serve = await startServe(
    dir,
    Object.values(KEYS).flatMap((key) => ['--write-key', key]),
  );
  proxy = await recordingProxy(serve.url);
  await Promise.all([sendSegment(), sendRudderStack(), sendPostHog(), sendSnowplow()]);
  // A read-only handle beside the running collector: what `eventdb profile` would read.
  db = await EventDB.open({ path: dir, readOnly: true });
});

afterAll(async () => {
  await db?.close();
  await proxy?.close();
  serve?.child.kill('SIGTERM');
  if (serve !== undefined) expect(await serve.exited).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

async function sendSegment(): Promise<void> {
  const analytics = new SegmentAnalytics({ writeKey: KEYS.segment, host: proxy.url, flushAt: 3, flushInterval: 50, maxRetries: 2 });
  const context = { sessionId: 'seg-s1' };
  analytics.page({ anonymousId: 'seg-anon', name: 'Home', properties: { url: 'https://shop.example/' }, context });
  analytics.track({ anonymousId: 'seg-anon', event: 'Product Viewed', properties: { sku: 'p1' }, context });
  analytics.identify({ anonymousId: 'seg-anon', userId: 'seg-user', traits: { email: 'seg@example.com' }, context });
  analytics.track({ userId: 'seg-user', event: 'Order Completed', properties: { revenue: 30 }, context });
  analytics.group({ userId: 'seg-user', groupId: 'seg-acme', traits: { name: 'Acme' } });
  // The SDK's defaults: no context, no session, nothing but the required fields.
  analytics.track({ userId: 'seg-default', event: 'Ping' });
  await analytics.closeAndFlush({ timeout: 10_000 });
}

async function sendRudderStack(): Promise<void> {
  const errors: unknown[] = [];
  const analytics = new RudderAnalytics(KEYS.rudder, {
    dataPlaneUrl: proxy.url,
    flushAt: 2,
    flushInterval: 50,
    errorHandler: (err: unknown) => errors.push(err),
  });
  const context = { sessionId: 1767261600 };
  analytics.page({ anonymousId: 'rs-anon', name: 'Home', properties: { url: 'https://shop.example/' }, context });
  analytics.identify({ anonymousId: 'rs-anon', userId: 'rs-user', traits: { email: 'rs@example.com' }, context });
  analytics.track({ userId: 'rs-user', event: 'Order Completed', properties: { revenue: 20 }, context });
  analytics.group({ userId: 'rs-user', groupId: 'rs-acme', traits: { name: 'Rudder Acme' } });
  analytics.track({ userId: 'rs-default', event: 'Ping' });
  await analytics.flush();
  await analytics.flush();
  expect(errors).toEqual([]);
}

async function sendPostHog(): Promise<void> {
  const posthog = new PostHog(KEYS.posthog, { host: proxy.url, flushAt: 2, flushInterval: 50 });
  posthog.capture({ distinctId: 'ph-anon', event: '$pageview', properties: { $current_url: 'https://shop.example/', $session_id: 'ph-s1' } });
  posthog.identify({ distinctId: 'ph-user', properties: { $anon_distinct_id: 'ph-anon', email: 'ph@example.com', $set_once: { source: 'ad' } } });
  posthog.capture({ distinctId: 'ph-user', event: 'purchase', properties: { amount: 25, $session_id: 'ph-s1' }, groups: { company: 'ph-acme' } });
  posthog.groupIdentify({ groupType: 'company', groupKey: 'ph-acme', properties: { name: 'PostHog Acme' } });
  posthog.alias({ distinctId: 'ph-user', alias: 'ph-crm-7' });
  posthog.capture({ distinctId: 'ph-default', event: 'ping' });
  await posthog.shutdown(10_000);
}

async function sendSnowplow(): Promise<void> {
  const emitter = { endpoint: proxy.url, bufferSize: 1, customHeaders: { Authorization: `Bearer ${KEYS.snowplow}` } };
  const tracker = newTracker({ namespace: 'sp', appId: 'shop' }, emitter);
  tracker.setDomainUserId('sp-anon');
  tracker.setSessionId('sp-s1');
  tracker.track(buildPageView({ pageUrl: 'https://shop.example/', pageTitle: 'Home' }));
  tracker.setUserId('sp-user');
  const account = { schema: 'iglu:com.example/account/jsonschema/1-0-0', data: { id: 'sp-acme', name: 'Snowplow Acme' } };
  tracker.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.example/purchase/jsonschema/1-0-0', data: { amount: 15 } } }), [account]);
  tracker.track(buildStructEvent({ category: 'shop', action: 'add-to-basket', value: 2 }));
  await tracker.flush();
  // The SDK's defaults (POST, a buffer of 10), by GET for the pixel path, and no identifiers at all.
  const defaults = newTracker(
    { namespace: 'sp2', appId: 'shop' },
    { endpoint: proxy.url, eventMethod: 'get', customHeaders: { Authorization: `Bearer ${KEYS.snowplow}` } },
  );
  defaults.track(buildPageView({ pageUrl: 'https://shop.example/about' }));
  await defaults.flush();
}

describe('SDKs against eventdb serve', () => {
  it('every request was answered 200, through the gzip and auth each SDK uses', () => {
    expect(proxy.requests.length).toBeGreaterThanOrEqual(8);
    expect(proxy.requests.map((r) => `${r.method} ${r.url.split('?')[0]} ${r.status}`).filter((line) => !line.endsWith(' 200'))).toEqual([]);
    const paths = new Set(proxy.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`));
    expect(paths).toEqual(new Set(['POST /v1/batch', 'POST /batch/', 'POST /com.snowplowanalytics.snowplow/tp2', 'GET /i']));
    expect(db.quarantine.count()).toBe(0);
    // RudderStack's Node SDK gzips and labels the body a form; posthog-node gzips too.
    const gzipped = proxy.requests.filter((r) => r.body[0] === 0x1f && r.body[1] === 0x8b).map((r) => r.url);
    expect(gzipped).toContain('/v1/batch');
    expect(gzipped).toContain('/batch/');
  });

  it.each([
    ['Segment', 'seg-user', 'seg-anon', 'email', 'seg@example.com', 'Order Completed'],
    ['RudderStack', 'rs-user', 'rs-anon', 'email', 'rs@example.com', 'Order Completed'],
    ['PostHog', 'ph-user', 'ph-anon', 'email', 'ph@example.com', 'purchase'],
  ])('%s: the anonymous visitor who browsed, identified and bought is one profile with its traits', (_sdk, userId, anonId, trait, value, purchase) => {
    const profile = db.getProfile(anonId)!;
    expect(profile.userId).toBe(userId);
    expect(profile.profileIds).toContain(anonId);
    expect(profile.attributes[trait]?.value).toBe(value);
    expect(profile.eventCounts[purchase]).toBe(1);
    expect(db.getProfile(userId)!.eventCount).toBe(profile.eventCount);
  });

  it('PostHog: $set_once lands, the distinct_id and the alias join the user, $groupidentify fills the account', () => {
    const profile = db.getProfile('ph-user')!;
    expect(profile.attributes['source']?.value).toBe('ad');
    // $anon_distinct_id (identify), the distinct_id itself, and the alias of $create_alias.
    expect(profile.profileIds.sort()).toEqual(['ph-anon', 'ph-crm-7', 'ph-user']);
    const account = db.getAccount('ph-acme')!;
    expect(account.attributes['name']?.value).toBe('PostHog Acme');
    expect(account.members).toEqual(['ph-user']);
  });

  it.each([
    ['Segment', 'seg-acme', 'seg-user', 'Acme'],
    ['RudderStack', 'rs-acme', 'rs-user', 'Rudder Acme'],
    ['Snowplow', 'sp-acme', 'sp-user', 'Snowplow Acme'],
  ])('%s: the account member and the account traits', (_sdk, accountId, userId, name) => {
    const account = db.getAccount(accountId)!;
    expect(account.members).toEqual([userId]);
    expect(account.attributes['name']?.value).toBe(name);
    expect(db.getProfile(userId)!.accounts).toEqual([accountId]);
  });

  it('sessions: the SDK session where there is one, with its pages', () => {
    expect(db.getSession('seg-s1')).toMatchObject({ profileId: 'seg-user', eventCount: 4, pages: ['https://shop.example/'] });
    expect(db.getSession('1767261600')).toMatchObject({ profileId: 'rs-user', eventCount: 3 });
    expect(db.getSession('ph-s1')).toMatchObject({ profileId: 'ph-user', eventCount: 2, pages: ['https://shop.example/'] });
    expect(db.getSession('sp-s1')).toMatchObject({ profileId: 'sp-user', eventCount: 3 });
  });

  it('Snowplow: duid and uid stitched, events named by schema and action', () => {
    const profile = db.getProfile('sp-user')!;
    expect(profile.profileIds).toEqual(['sp-anon']);
    expect(profile.eventCounts).toEqual({ page_view: 1, purchase: 1, 'add-to-basket': 1 });
  });

  it("the SDKs' defaults: stored, in a day session (Snowplow without ids: nobody's, with a placeholder)", () => {
    for (const id of ['seg-default', 'rs-default', 'ph-default']) {
      const [event] = db
        .events({ profileId: id })
        .toArray()
        .concat(db.events({ userId: id }).toArray());
      expect(event, id).toBeDefined();
      expect(event!.sessionId).toMatch(new RegExp(`^(segment|rudderstack|posthog):${id}:\\d{4}-\\d{2}-\\d{2}$`));
    }
    const [pixel] = db
      .events({ eventName: 'page_view' })
      .filter((e) => e.pageId === 'https://shop.example/about')
      .toArray();
    expect(pixel).toMatchObject({ profileId: 'anonymous' });
    expect(db.getProfile('anonymous')).toBeUndefined();
  });

  it('replaying every request gives only duplicates', async () => {
    const before = db.stats();
    expect(before.duplicates).toBe(0);
    for (const recorded of proxy.requests) {
      const { status, text } = await replay(serve.url, recorded);
      expect(status).toBe(200);
      // Segment, RudderStack and PostHog answer with counts; Snowplow answers "ok" or a pixel.
      if (text.startsWith('{')) expect(JSON.parse(text)).toMatchObject({ accepted: 0, rejected: 0 });
    }
    // A read-only handle sees what was committed before the current turn: give it one.
    await new Promise((resolve) => setImmediate(resolve));
    const after = db.stats();
    expect(after.records).toBe(before.records);
    // Every stored record came back exactly once more, as a duplicate, with the same content.
    expect(after.duplicates).toBe(before.records);
    expect(after.conflicts).toBe(0);
  });

  it('the request log on stderr never shows a write key', () => {
    expect(serve.stderr()).toContain('request completed');
    for (const key of Object.values(KEYS)) expect(serve.stderr()).not.toContain(key);
  });
});
