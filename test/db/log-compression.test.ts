// The log's compression (`compression: { log: true }`; the default writes the log plain): once the log holds 1,000
// records the writer samples a dictionary from them, and later records are written LZ4-compressed with it. Every
// record reads back the same, plain or compressed, through every read (getEvent, events, changes, verify), after a
// reopen, in a read-only handle opened before the dictionary existed, and in a store written plain by a writer with
// compression off (or by format 10) and reopened with it on.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB, type EventDBOptions } from '../../src/index.js';
import type { InternalOptions } from '../../src/db.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-log-compression-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BATCH = 400;

/** Events with the repetition real ones have (URLs, names, ids with prefixes), some attribute updates among them. */
function records(from: number, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    if (i % 97 === 0) return { target: { profileId: `prof-${i % 37}` }, update: { set: { plan: `plan-${i % 3}` } }, eventId: `attr-${i}` };
    return {
      eventId: `evt-${i}-${(i * 2654435761) % 1e9}`,
      profileId: `prof-${i % 37}`,
      ...(i % 2 === 0 ? { userId: `user-${i % 11}` } : {}),
      sessionId: `sess-${Math.floor(i / 9)}`,
      ...(i % 5 === 0 ? { accountId: `acct-${i % 13}` } : {}),
      eventName: ['page_view', 'add_to_cart', 'purchase'][i % 3],
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      data: { url: `https://shop.example.com/products/${i % 500}?ref=${i.toString(36)}`, price: (i % 90) + 0.5, tags: ['a', `t${i % 7}`] },
    };
  });
}

async function write(db: EventDB, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += BATCH) {
    const batch = records(i, Math.min(BATCH, from + count - i));
    const events = batch.filter((r) => !('update' in r));
    const updates = batch.filter((r) => 'update' in r) as { target: { profileId: string }; update: { set: Record<string, string> } }[];
    await db.ingestBatch(events);
    for (const { target, update } of updates) await db.setAttributes(target, update);
  }
}

/** Everything the store returns for its records: the log in order, and each event by eventId and by profile. */
function everything(db: EventDB): unknown {
  const log = db.events({ eventName: 'page_view' }).toArray();
  const byId = records(0, 3_000)
    .filter((r) => !('update' in r))
    .map((r) => db.getEvent(r['eventId'] as string));
  const byProfile = Array.from({ length: 37 }, (_, p) => db.events({ profileId: `prof-${p}` }).toArray());
  const profiles = Array.from({ length: 37 }, (_, p) => db.getProfile({ profileId: `prof-${p}` }));
  return { log, byId, byProfile, profiles };
}

async function changes(db: EventDB): Promise<unknown[]> {
  const seen: unknown[] = [];
  for await (const change of db.changes()) seen.push(change);
  return seen;
}

/** The first byte of each stored value of a tree: 254 marks one LZ4 compressed (no record or state starts with it). */
async function storedFirstBytes<K extends string | number = number>(path: string, tree = 'log'): Promise<Map<K, number>> {
  const root = open({ path, maxDbs: 32, readOnly: true });
  const db = root.openDB<Buffer, K>({ name: tree, encoding: 'binary' });
  const first = new Map<K, number>();
  for (const { key, value } of db.getRange()) if (typeof key !== 'symbol') first.set(key, value[0]!);
  await root.close();
  return first;
}

const compressedSeqs = (first: Map<number, number>): number[] => [...first].filter(([, byte]) => byte === 254).map(([seq]) => seq);
const compressedCount = (first: Map<string, number>): number => [...first.values()].filter((byte) => byte === 254).length;

const OPTIONS: EventDBOptions = { clock: () => Date.UTC(2026, 5, 1) };
/** The log compressed, the states as by default. */
const LOG: EventDBOptions = { ...OPTIONS, compression: { log: true } };

describe('log compression', () => {
  it('compresses the records written after the first 1,000, and every read returns them as written', async () => {
    const plainDir = join(dir, 'plain');
    const plain = await EventDB.open({ ...OPTIONS, path: plainDir, compression: false });
    await write(plain, 0, 3_000);
    const expected = everything(plain);
    const expectedChanges = await changes(plain);
    await plain.close();
    expect(compressedSeqs(await storedFirstBytes(plainDir))).toEqual([]);

    const db = await EventDB.open({ ...LOG, path: join(dir, 'compressed') });
    await write(db, 0, 3_000);
    expect(everything(db)).toEqual(expected);
    expect(await changes(db)).toEqual(expectedChanges);
    expect((await db.verify()).differences).toEqual([]);
    await db.close();

    const first = await storedFirstBytes(join(dir, 'compressed'));
    const compressed = compressedSeqs(first);
    // The call that brought the log to 1,000 records or more sampled the dictionary: the calls after it compress.
    expect(compressed.length).toBeGreaterThan(1_500);
    expect(Math.min(...compressed)).toBeGreaterThan(1_000);
    expect(Math.min(...compressed)).toBeLessThanOrEqual(1_000 + BATCH + 10);

    const reopened = await EventDB.open({ ...LOG, path: join(dir, 'compressed') });
    expect(everything(reopened)).toEqual(expected);
    await reopened.close();
  });

  it('a read-only handle opened before the dictionary existed reads the records compressed after it', async () => {
    const path = join(dir, 'store');
    const writer = await EventDB.open({ ...LOG, path });
    await write(writer, 0, 800);
    const reader = await EventDB.open({ ...OPTIONS, path, readOnly: true });
    expect(reader.getEvent(records(5, 1)[0]!['eventId'] as string)?.sessionId).toBe('sess-0');
    await write(writer, 800, 2_200);
    expect(compressedSeqs(await storedFirstBytes(path)).length).toBeGreaterThan(1_000);
    expect(everything(reader)).toEqual(everything(writer));
    await reader.close();
    await writer.close();
  });

  it('a store written plain is compressed from the first write call after it reopens with compression on', async () => {
    const path = join(dir, 'store');
    const first = await EventDB.open({ ...OPTIONS, path, compression: false });
    await write(first, 0, 1_600);
    await first.close();
    expect(compressedSeqs(await storedFirstBytes(path))).toEqual([]);

    const db = await EventDB.open({ ...LOG, path });
    await write(db, 1_600, 1_400);
    const compressed = compressedSeqs(await storedFirstBytes(path));
    expect(Math.min(...compressed)).toBeGreaterThan(1_600);
    const plainDb = await EventDB.open({ ...OPTIONS, path: join(dir, 'plain'), compression: false });
    await write(plainDb, 0, 3_000);
    expect(everything(db)).toEqual(everything(plainDb));
    expect((await db.verify()).differences).toEqual([]);
    await plainDb.close();
    await db.close();

    // A store with a dictionary keeps compressing whatever the option: its records need the dictionary anyway.
    const again = await EventDB.open({ ...OPTIONS, path, compression: false });
    await write(again, 3_000, 400);
    await again.close();
    expect(Math.max(...compressedSeqs(await storedFirstBytes(path)))).toBeGreaterThan(3_000);
  });

  it('writes the log plain by default, and with compression: true', async () => {
    for (const [name, compression] of [
      ['default', undefined],
      ['off', { log: false }],
    ] as const) {
      const path = join(dir, name);
      const db = await EventDB.open({ ...OPTIONS, path, ...(compression === undefined ? {} : { compression }) });
      await write(db, 0, 3_000);
      await db.close();
      expect(compressedSeqs(await storedFirstBytes(path))).toEqual([]);
    }
    const path = join(dir, 'both');
    const db = await EventDB.open({ ...OPTIONS, path, compression: true });
    await write(db, 0, 3_000);
    await db.close();
    expect(compressedSeqs(await storedFirstBytes(path)).length).toBeGreaterThan(1_500);
  });

  it('refuses a compression option that is not a boolean or { log, states } of booleans', async () => {
    const refused = async (compression: unknown, field: string): Promise<void> => {
      await expect(EventDB.open({ inMemory: true, compression: compression as boolean })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(new RegExp(`^options\\.${field.replace('.', '\\.')}: `)) as unknown,
      });
    };
    await refused('yes', 'compression');
    await refused(null, 'compression');
    await refused({ log: 'yes' }, 'compression.log');
    await refused({ index: true }, 'compression.index');
  });
});

describe('states compression', () => {
  /** Generations of 64 records, so a few thousand records leave dozens of closed generations to consolidate. */
  const SMALL: InternalOptions = { generationBits: 6 };
  /** Checkpoints every 200 records: a generation is closed, and consolidated, once a checkpoint covers it. */
  const STATES_OPTIONS: EventDBOptions = { ...OPTIONS, checkpoint: { records: 200 } };

  /** Every profile, session and account of the records, as the store returns them. */
  function views(db: EventDB): unknown {
    return {
      profiles: Array.from({ length: 37 }, (_, p) => db.getProfile({ profileId: `prof-${p}` })),
      users: Array.from({ length: 11 }, (_, u) => db.getProfile({ userId: `user-${u}` })),
      sessions: Array.from({ length: 340 }, (_, s) => db.getSession(`sess-${s}`)),
      accounts: Array.from({ length: 13 }, (_, a) => db.getAccount(`acct-${a}`)),
    };
  }

  it('the consolidation writes the states compressed after its first chunk, and every view reads as in a plain store', async () => {
    const plain = await EventDB.open({ ...STATES_OPTIONS, path: join(dir, 'plain'), compression: false }, SMALL);
    await write(plain, 0, 3_000);
    await plain.consolidated();
    const expected = views(plain);
    await plain.close();
    expect(compressedCount(await storedFirstBytes(join(dir, 'plain'), 'states'))).toBe(0);

    const path = join(dir, 'compressed');
    const writer = await EventDB.open({ ...STATES_OPTIONS, path }, SMALL);
    await write(writer, 0, 300);
    // A reader opened before any state, so before the states' dictionary.
    const reader = await EventDB.open({ ...STATES_OPTIONS, path, readOnly: true });
    await write(writer, 300, 2_700);
    await writer.consolidated();
    expect(views(writer)).toEqual(expected);
    expect(views(reader)).toEqual(expected);
    expect((await writer.verify()).differences).toEqual([]);
    await reader.close();
    await writer.close();

    // The identifiers' and accounts' states here are shorter than the threshold (sessions keep none); the user
    // states, which hold their members, are not.
    expect(compressedCount(await storedFirstBytes<string>(path, 'user-states'))).toBeGreaterThan(0);
    const reopened = await EventDB.open({ ...STATES_OPTIONS, path }, SMALL);
    expect(views(reopened)).toEqual(expected);
    await reopened.close();
  });
});
