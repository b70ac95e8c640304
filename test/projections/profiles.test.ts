import type { DerivedStore } from '../../src/storage/derived-store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { at, event } from '../helpers/events.js';

let db: EventDB;
beforeEach(async () => {
  db = await EventDB.open({
    inMemory: true,
    clock: () => Date.UTC(2026, 5, 1),
    computed: {
      ltv: { op: 'sum', eventName: 'purchase', field: 'amount' },
      orders: { op: 'count', eventName: 'purchase' },
      biggest: { op: 'max', eventName: 'purchase', field: 'amount' },
      firstItem: { op: 'first', eventName: 'purchase', field: 'item' },
      lastItem: { op: 'last', eventName: 'purchase', field: 'item' },
    },
  });
});
afterEach(async () => {
  await db.close();
});

const attr = (id: string, key: string) => db.getProfile(id)?.attributes[key]?.value;

describe('attribute reconciliation', () => {
  it('set: the latest timestamp wins, a tie is broken by the larger eventId', async () => {
    await db.ingest(event({ eventId: 'b', userId: 'u', timestamp: at(5), attributes: { set: { plan: 'B' } } }));
    await db.ingest(event({ eventId: 'a', userId: 'u', timestamp: at(5), attributes: { set: { plan: 'A' } } }));
    await db.ingest(event({ eventId: 'z', userId: 'u', timestamp: at(4), attributes: { set: { plan: 'Z' } } }));
    expect(db.getProfile('u')?.attributes['plan']).toEqual({ value: 'B', source: 'event', timestamp: at(5), eventId: 'b' });
  });

  it('setOnce applies only while no set exists, before or after it arrives', async () => {
    await db.ingest(event({ eventId: 'o1', userId: 'u1', timestamp: at(1), attributes: { setOnce: { signup: 'web' } } }));
    expect(attr('u1', 'signup')).toBe('web');
    await db.ingest(event({ eventId: 's1', userId: 'u1', timestamp: at(0), attributes: { set: { signup: 'ios' } } }));
    expect(attr('u1', 'signup')).toBe('ios');
    await db.ingest(event({ eventId: 's2', userId: 'u2', timestamp: at(0), attributes: { set: { signup: 'ios' } } }));
    await db.ingest(event({ eventId: 'o2', userId: 'u2', timestamp: at(9), attributes: { setOnce: { signup: 'web' } } }));
    expect(attr('u2', 'signup')).toBe('ios');
  });

  it('among setOnce writes the earliest wins', async () => {
    await db.ingest(event({ eventId: 'late', userId: 'u', timestamp: at(9), attributes: { setOnce: { first: 'late' } } }));
    await db.ingest(event({ eventId: 'early', userId: 'u', timestamp: at(1), attributes: { setOnce: { first: 'early' } } }));
    expect(attr('u', 'first')).toBe('early');
  });

  it('an unset hides older sets and is overridden by newer ones', async () => {
    await db.ingest(event({ eventId: 'u1', userId: 'u', timestamp: at(5), attributes: { unset: ['coupon'] } }));
    await db.ingest(event({ eventId: 'u0', userId: 'u', timestamp: at(3), attributes: { set: { coupon: 'OLD' } } }));
    expect(db.getProfile('u')?.attributes).not.toHaveProperty('coupon');
    await db.ingest(event({ eventId: 'u2', userId: 'u', timestamp: at(7), attributes: { set: { coupon: 'NEW' } } }));
    expect(attr('u', 'coupon')).toBe('NEW');
  });

  it('setAttributes records the source, defaults the time to the clock, and is not activity', async () => {
    const result = await db.setAttributes({ userId: 'u' }, { set: { tier: 'gold' }, source: 'crm' });
    expect(result.status).toBe('accepted');
    expect(result.eventId).toMatch(/^a-[0-9a-f]{32}$/);
    expect((await db.setAttributes({ userId: 'u' }, { set: { tier: 'gold' }, source: 'crm' })).status).toBe('duplicate');
    const profile = db.getProfile({ userId: 'u' })!;
    expect(profile.attributes['tier']).toEqual({ value: 'gold', source: 'crm', timestamp: '2026-06-01T00:00:00.000Z', eventId: result.eventId });
    expect(profile).toMatchObject({ eventCount: 0, firstSeen: null, lastSeen: null, sessionCount: 0, eventCounts: {} });
    expect(db.events({ userId: 'u' }).toArray()).toEqual([]);
    expect(db.stats()).toMatchObject({ attributeUpdates: 1, events: 0, profiles: 1 });
  });

  it('setAttributes rejects bad calls with structured errors', async () => {
    const bad = await db.setAttributes({ userId: 'u', accountId: 'a' }, { set: { a: 1 } });
    expect(bad.errors?.[0]).toMatchObject({ code: 'MISSING_IDENTIFIER', path: 'target' });
    const placeholder = await db.setAttributes({ profileId: 'anonymous' }, { set: { a: 1 } });
    expect(placeholder.errors?.[0]).toMatchObject({ code: 'PLACEHOLDER_IDENTIFIER', path: 'target.profileId' });
    const unknown = await db.setAttributes({ userId: 'u' }, { set: { a: 1 }, when: 'now' } as never);
    expect(unknown.errors?.[0]).toMatchObject({ code: 'UNKNOWN_FIELD', path: 'when' });
  });

  it('account attributes ride on events and setAttributes', async () => {
    await db.ingest(event({ eventId: 'e1', userId: 'u', accountId: 'acme', timestamp: at(1), accountAttributes: { set: { seats: 5 } } }));
    await db.setAttributes({ accountId: 'acme' }, { set: { seats: 10 }, timestamp: at(2), source: 'billing' });
    expect(db.getAccount('acme')?.attributes['seats']).toMatchObject({ value: 10, source: 'billing' });
  });
});

describe('identity stitching', () => {
  it('links a profileId to a userId and reads the unified profile by any identifier', async () => {
    await db.ingest(event({ eventId: 'anon', profileId: 'dev1', timestamp: at(1), eventName: 'view' }));
    await db.ingest(event({ eventId: 'login', profileId: 'dev1', userId: 'alice', timestamp: at(2), eventName: 'login' }));
    await db.ingest(event({ eventId: 'buy', profileId: undefined, userId: 'alice', timestamp: at(3), eventName: 'purchase', data: { amount: 10 } }));
    const profile = db.getProfile('dev1')!;
    expect(profile).toMatchObject({ id: 'alice', userId: 'alice', profileIds: ['dev1'], eventCount: 3, eventCounts: { view: 1, login: 1, purchase: 1 } });
    expect(db.getProfile('alice')).toEqual(profile);
    expect(db.getProfile({ profileId: 'dev1' })).toEqual(profile);
    expect(
      db
        .events({ profileId: 'dev1' })
        .map((e) => e.eventId)
        .toArray(),
    ).toEqual(['anon', 'login', 'buy']);
    expect(db.stats()).toMatchObject({ profiles: 1 });
  });

  it('never merges two userIds: a profileId belongs to its earliest link, whichever arrives first', async () => {
    for (const order of [
      ['l-bob', 'l-alice'],
      ['l-alice', 'l-bob'],
    ]) {
      const store = await EventDB.open({ inMemory: true });
      const links = {
        'l-alice': event({ eventId: 'l-alice', profileId: 'dev', userId: 'alice', timestamp: at(1) }),
        'l-bob': event({ eventId: 'l-bob', profileId: 'dev', userId: 'bob', timestamp: at(2) }),
      };
      await store.ingest(event({ eventId: 'anon', profileId: 'dev', timestamp: at(0) }));
      for (const id of order) await store.ingest(links[id as keyof typeof links]);
      expect(store.getProfile('dev')?.id).toBe('alice');
      expect(store.getProfile('alice')).toMatchObject({ profileIds: ['dev'], eventCount: 2 });
      expect(store.getProfile('bob')).toMatchObject({ profileIds: [], eventCount: 1 });
      expect(
        store
          .events({ userId: 'alice' })
          .map((e) => e.eventId)
          .toArray(),
      ).toEqual(['anon', 'l-alice']);
      expect(store.stats().profiles).toBe(2);
      expect((await store.verify()).ok).toBe(true);
      await store.close();
    }
  });

  it('a late-arriving earlier link moves the profileId, its history, attributes and computed values', async () => {
    await db.ingest(
      event({
        eventId: 'p1',
        profileId: 'dev',
        timestamp: at(1),
        eventName: 'purchase',
        data: { amount: 5, item: 'a' },
        attributes: { set: { color: 'red' } },
      }),
    );
    await db.ingest(event({ eventId: 'p2', profileId: 'dev', timestamp: at(3), eventName: 'purchase', data: { amount: 7.25, item: 'b' } }));
    await db.ingest(event({ eventId: 'bob-link', profileId: 'dev', userId: 'bob', timestamp: at(5) }));
    expect(db.getProfile('bob')?.computed).toEqual({ ltv: 12.25, orders: 2, biggest: 7.25, firstItem: 'a', lastItem: 'b' });
    await db.ingest(event({ eventId: 'alice-link', profileId: 'dev', userId: 'alice', timestamp: at(2) }));
    const alice = db.getProfile('alice')!;
    expect(alice).toMatchObject({ profileIds: ['dev'], eventCount: 3, computed: { ltv: 12.25, orders: 2, biggest: 7.25, firstItem: 'a', lastItem: 'b' } });
    expect(alice.attributes['color']?.value).toBe('red');
    expect(db.getProfile('bob')).toMatchObject({ profileIds: [], eventCount: 1, computed: { ltv: 0, orders: 0, biggest: null } });
    expect(
      db
        .events({ profileId: 'dev' })
        .map((e) => e.eventId)
        .toArray(),
    ).toEqual(['p1', 'alice-link', 'p2']);
    expect((await db.verify()).ok).toBe(true);
  });

  it('placeholders never link and identify nobody, with a warning', async () => {
    const result = await db.ingest(event({ eventId: 'x', profileId: 'anonymous', userId: 'carol', timestamp: at(1) }));
    expect(result.warnings?.[0]).toMatchObject({ code: 'PLACEHOLDER_IDENTIFIER', path: 'profileId' });
    await db.ingest(event({ eventId: 'y', profileId: 'anonymous', userId: 'dave', timestamp: at(2) }));
    await db.ingest(event({ eventId: 'z', profileId: 'guest', userId: 'null', sessionId: 'sz', timestamp: at(3) }));
    expect(db.getProfile('anonymous')).toBeUndefined();
    expect(db.getProfile('carol')).toMatchObject({ profileIds: [], eventCount: 1 });
    expect(db.getProfile('null')).toBeUndefined();
    expect(db.getSession('sz')).toMatchObject({ profileId: null, profiles: [], eventCount: 1 });
    expect(db.stats().profiles).toBe(2);
  });
});

describe('sessions and accounts', () => {
  it('a session belongs to the profile of its earliest event and lists everything seen in it', async () => {
    await db.ingestBatch([
      event({ eventId: 'b', profileId: 'dev', sessionId: 'S', pageId: 'home', timestamp: at(10) }),
      event({ eventId: 'a', profileId: 'dev', sessionId: 'S', pageId: 'cart', timestamp: at(4) }),
      event({ eventId: 'c', profileId: 'dev', userId: 'erin', sessionId: 'S', pageId: 'home', timestamp: at(12) }),
      event({ eventId: 'd', profileId: 'other', sessionId: 'S', timestamp: at(13) }),
    ]);
    expect(db.getSession('S')).toEqual({
      sessionId: 'S',
      profileId: 'erin',
      profiles: ['erin', 'other'],
      start: at(4),
      end: at(13),
      durationMs: 9 * 60_000,
      eventCount: 4,
      pages: ['cart', 'home'],
    });
    expect(db.getProfile('erin')?.sessionCount).toBe(1);
    expect(db.getSession('nope')).toBeUndefined();
  });

  it('an account counts events and lists member profiles', async () => {
    await db.ingestBatch([
      event({ eventId: 'a1', profileId: 'd1', accountId: 'acme', timestamp: at(1) }),
      event({ eventId: 'a2', profileId: 'd2', userId: 'u2', accountId: 'acme', timestamp: at(2) }),
      event({ eventId: 'a3', profileId: 'd1', userId: 'u2', timestamp: at(0) }),
    ]);
    expect(db.getAccount('acme')).toEqual({
      accountId: 'acme',
      firstSeen: at(1),
      lastSeen: at(2),
      eventCount: 2,
      members: ['u2'],
      attributes: {},
    });
    expect(db.getProfile('u2')?.accounts).toEqual(['acme']);
    expect(db.stats()).toMatchObject({ accounts: 1, profiles: 1, sessions: 1 });
  });
});

describe('verify and rebuild', () => {
  it('find a manual edit of a projection and repair it', async () => {
    await db.ingestBatch([
      event({ eventId: 'v1', profileId: 'dev', userId: 'u', timestamp: at(1), attributes: { set: { a: 1 } } }),
      event({ eventId: 'v2', profileId: 'dev2', accountId: 'acc', timestamp: at(2) }),
    ]);
    expect(await db.verify()).toMatchObject({ ok: true, differences: [] });
    // Tampered in the writer's memory (the state after the last checkpoint).
    const derived = (db as unknown as { storage: { derived: DerivedStore } }).storage.derived;
    derived.putPartial([0, 2, 'u'], { first: 0, last: 0, count: 99, names: [], sessions: [], accounts: [], computed: {}, latest: {}, once: {} });
    derived.removeLink('dev');
    const broken = await db.verify();
    expect(broken.ok).toBe(false);
    expect(broken.differences.map((d) => d.kind)).toContain('projection');
    expect(db.getProfile('dev')?.id).toBe('dev');
    const repaired = await db.rebuild();
    expect(repaired.repaired).toBe(true);
    expect(await db.verify()).toMatchObject({ ok: true });
    expect(db.getProfile('dev')).toMatchObject({ id: 'u', eventCount: 1, attributes: { a: { value: 1 } } });
  });
});
