import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type StoredRecord } from '../../src/index.js';
import { at, event, shuffle } from '../helpers/events.js';

let db: EventDB;
beforeEach(async () => {
  db = await EventDB.open({ inMemory: true });
});
afterEach(async () => {
  await db.close();
});

const ids = (records: Iterable<StoredRecord>): string[] => [...records].map((r) => r.eventId);

/** Events spread over keys, ingested out of time order. */
function fixture(): Record<string, unknown>[] {
  return [
    event({ eventId: 'e5', profileId: 'p1', userId: 'u1', sessionId: 's2', accountId: 'a1', eventName: 'buy', timestamp: at(50) }),
    event({ eventId: 'e1', profileId: 'p1', sessionId: 's1', eventName: 'view', timestamp: at(10) }),
    event({ eventId: 'e3b', profileId: 'p1', sessionId: 's1', eventName: 'view', timestamp: at(30) }),
    event({ eventId: 'e3a', profileId: 'p1', sessionId: 's1', eventName: 'view', timestamp: at(30) }),
    event({ eventId: 'e2', profileId: 'p2', userId: 'u1', sessionId: 's3', accountId: 'a1', eventName: 'view', timestamp: at(20) }),
    event({ eventId: 'e4', profileId: 'p1', sessionId: 's2', eventName: 'buy', timestamp: at(40) }),
    event({ eventId: 'e6', profileId: 'guest', sessionId: 's4', eventName: 'view', timestamp: at(60) }),
  ];
}

describe('events(query)', () => {
  beforeEach(async () => {
    await db.ingestBatch(fixture());
  });

  it('reads each key in time order, ties broken by eventId; profile keys read the unified profile', () => {
    // e5 links p1 to u1 and e2 links p2 to u1: u1, p1 and p2 are one unified profile.
    expect(ids(db.events({ profileId: 'p1' }))).toEqual(['e1', 'e2', 'e3a', 'e3b', 'e4', 'e5']);
    expect(ids(db.events({ profileId: 'p2' }))).toEqual(['e1', 'e2', 'e3a', 'e3b', 'e4', 'e5']);
    expect(ids(db.events({ userId: 'u1' }))).toEqual(['e1', 'e2', 'e3a', 'e3b', 'e4', 'e5']);
    expect(ids(db.events({ sessionId: 's1' }))).toEqual(['e1', 'e3a', 'e3b']);
    expect(ids(db.events({ accountId: 'a1' }))).toEqual(['e2', 'e5']);
    expect(ids(db.events({ eventName: 'view' }))).toEqual(['e1', 'e2', 'e3a', 'e3b', 'e6']);
    expect(ids(db.events({ profileId: 'nobody' }))).toEqual([]);
  });

  it('does not index placeholder identifiers', () => {
    expect(ids(db.events({ profileId: 'guest' }))).toEqual([]);
    expect(db.getEvent('e6')?.profileId).toBe('guest');
    expect(ids(db.events({ sessionId: 's4' }))).toEqual(['e6']);
  });

  it('applies an inclusive from/to given as ISO strings or epoch ms', () => {
    expect(ids(db.events({ profileId: 'p1', from: at(30), to: at(40) }))).toEqual(['e3a', 'e3b', 'e4']);
    expect(ids(db.events({ profileId: 'p1', from: Date.parse(at(30)), to: Date.parse(at(30)) }))).toEqual(['e3a', 'e3b']);
    expect(ids(db.events({ profileId: 'p1', from: at(41) }))).toEqual(['e5']);
    expect(ids(db.events({ profileId: 'p1', to: '2026-01-01T10:10:00+00:00' }))).toEqual(['e1']);
    expect(ids(db.events({ profileId: 'p1', from: at(40), to: at(30) }))).toEqual([]);
  });

  it('supports limit and reverse, together with ranges', () => {
    expect(ids(db.events({ profileId: 'p1', limit: 2 }))).toEqual(['e1', 'e2']);
    expect(ids(db.events({ profileId: 'p1', reverse: true }))).toEqual(['e5', 'e4', 'e3b', 'e3a', 'e2', 'e1']);
    expect(ids(db.events({ profileId: 'p1', reverse: true, limit: 3 }))).toEqual(['e5', 'e4', 'e3b']);
    expect(ids(db.events({ profileId: 'p1', reverse: true, from: at(30), to: at(40) }))).toEqual(['e4', 'e3b', 'e3a']);
    expect(ids(db.events({ profileId: 'p1', limit: 0 }))).toEqual([]);
  });

  it('combines keys: the first drives the index, the others filter', () => {
    expect(ids(db.events({ profileId: 'p1', eventName: 'buy' }))).toEqual(['e4', 'e5']);
    expect(ids(db.events({ accountId: 'a1', userId: 'u1', sessionId: 's2' }))).toEqual(['e5']);
  });

  it('is lazy and offers map, filter and toArray', () => {
    const iterable = db.events({ eventName: 'view' });
    const iterator = iterable[Symbol.iterator]();
    expect(iterator.next().value?.eventId).toBe('e1');
    expect(
      iterable
        .filter((r) => r.sessionId === 's1')
        .map((r) => r.eventId)
        .toArray(),
    ).toEqual(['e1', 'e3a', 'e3b']);
  });

  it('rejects malformed queries with INVALID_QUERY', () => {
    for (const query of [{}, { profileId: '' }, { profileId: 'p1', limit: -1 }, { profileId: 'p1', from: 'yesterday' }, { profileId: 'p1', to: Number.NaN }]) {
      expect(() => db.events(query)).toThrow(expect.objectContaining({ code: 'INVALID_QUERY' }));
    }
  });
});

describe('events(query) determinism', () => {
  it('gives the same answers whatever the arrival order, batch sizes and duplicates', async () => {
    const records = Array.from({ length: 300 }, (_, i) =>
      event({
        eventId: `d${i}`,
        profileId: `p${i % 5}`,
        userId: i % 3 === 0 ? `u${i % 4}` : undefined,
        sessionId: `s${i % 11}`,
        accountId: i % 2 === 0 ? `a${i % 3}` : undefined,
        eventName: ['view', 'buy', 'search'][i % 3],
        // Few distinct times, so ties are common.
        timestamp: at(i % 17),
      }),
    );
    const queries = [
      { profileId: 'p1' },
      { userId: 'u2' },
      { sessionId: 's7' },
      { accountId: 'a0' },
      { eventName: 'buy' },
      { profileId: 'p3', reverse: true, limit: 7 },
      { eventName: 'view', from: at(3), to: at(9) },
    ];
    const answer = (store: EventDB) => queries.map((q) => ids(store.events(q)));
    await db.ingestBatch(records);
    const expected = answer(db);
    for (const seed of [1, 2, 3, 4, 5]) {
      const other = await EventDB.open({ inMemory: true });
      try {
        const sent = shuffle([...records, ...records.slice(0, 100)], seed);
        for (let i = 0, size = 1; i < sent.length; i += size, size = 1 + ((size * 7 + seed) % 40)) {
          await other.ingestBatch(sent.slice(i, i + size));
        }
        expect(answer(other), `seed ${seed}`).toEqual(expected);
        expect(other.stats()).toMatchObject({ records: 300, duplicates: 100 });
      } finally {
        await other.close();
      }
    }
  });
});

describe('generations', () => {
  it('merges one key across generations and checkpoint runs in time order', async () => {
    // A store of 512-record generations checkpointing every 300 records: p-cross's events land in the first
    // generation's run and in a later generation's window, newest first in seq order; filler crosses both.
    const small = await EventDB.open({ inMemory: true, checkpoint: { records: 300 } }, { generationBits: 9 });
    try {
      const filler = Array.from({ length: 2_000 }, (_, i) =>
        event({ eventId: `f${i}`, profileId: `f${i % 100}`, sessionId: 'fs', eventName: 'fill', timestamp: at(100) }),
      );
      const records = [event({ eventId: 'late', profileId: 'p-cross', timestamp: at(90) }), ...filler];
      for (let i = 0; i < records.length; i += 250) await small.ingestBatch(records.slice(i, i + 250));
      await small.ingestBatch([
        event({ eventId: 'early', profileId: 'p-cross', timestamp: at(5) }),
        event({ eventId: 'mid', profileId: 'p-cross', timestamp: at(50) }),
      ]);
      expect(small.getEvent('early')!.seq).toBeGreaterThan(3 * 512);
      expect(ids(small.events({ profileId: 'p-cross' }))).toEqual(['early', 'mid', 'late']);
      expect(ids(small.events({ profileId: 'p-cross', reverse: true, limit: 2 }))).toEqual(['late', 'mid']);
      expect(ids(small.events({ sessionId: 'fs', limit: 3 }))).toEqual(['f0', 'f1', 'f10']); // ties by eventId
      expect([...small.events({ sessionId: 'fs' })]).toHaveLength(2_000);
      expect((await small.ingest(event({ eventId: 'f7' }))).status).toBe('duplicate');
      expect((await small.verify()).ok).toBe(true);
    } finally {
      await small.close();
    }
  });
});

describe('events() over consecutive records (read ahead by ranges)', () => {
  it('returns every record of a profile written in runs, interleaved with others, in any direction and limit', async () => {
    // p-run's events come in runs of consecutive seqs (1 to 700 long) between other profiles' events, so scans
    // switch between ranges read ahead and single gets; the later half's times go backwards, so its seq order is
    // the reverse of time order (a reverse scan reads it in seq order).
    const events: Record<string, unknown>[] = [];
    let n = 0;
    for (let run = 0; run < 12; run++) {
      const length = [1, 2, 3, 17, 40, 700][run % 6]!;
      for (let i = 0; i < length; i++, n++)
        events.push(event({ eventId: `r${n}`, profileId: 'p-run', eventName: 'view', timestamp: at(run < 6 ? n : 5000 - n) }));
      events.push(event({ eventId: `o${run}`, profileId: `other-${run}`, eventName: 'view', timestamp: at(run) }));
    }
    for (let i = 0; i < events.length; i += 500) await db.ingestBatch(events.slice(i, i + 500));
    const expected = events
      .filter((e) => e['profileId'] === 'p-run')
      .map((e) => ({ eventId: e['eventId'] as string, time: Date.parse(e['timestamp'] as string) }))
      .sort((a, b) => a.time - b.time || (a.eventId < b.eventId ? -1 : 1))
      .map((e) => e.eventId);
    const scanned = [...db.events({ profileId: 'p-run' })];
    expect(scanned.map((r) => r.eventId)).toEqual(expected);
    for (const record of scanned.slice(0, 50)) expect(record).toEqual(db.getEvent(record.eventId));
    expect(ids(db.events({ profileId: 'p-run', reverse: true }))).toEqual([...expected].reverse());
    expect(ids(db.events({ profileId: 'p-run', limit: 33 }))).toEqual(expected.slice(0, 33));
  });
});
