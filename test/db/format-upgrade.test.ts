// A store of format 2 (partial states keyed by generation) opens in format 3: its projections are folded anew from
// the log, in one transaction with the new format marker, and read as before.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const event = (eventId: string, minute: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId,
  profileId: `p${minute % 3}`,
  sessionId: `s${minute % 2}`,
  eventName: minute % 2 === 0 ? 'view' : 'buy',
  timestamp: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString(),
  ...extra,
});

/**
 * Turns a closed store into format 2's layout: no sorted runs of partial states, a `partials` tree keyed by
 * generation (4 base-36 digits first) instead. The values there are stand-ins: the upgrade folds the log anew and
 * must not read them.
 */
async function downgradeToFormat2(path: string): Promise<void> {
  const root = open({ path, maxDbs: 20 });
  const legacy = root.openDB<unknown, string>({ name: 'partials', sharedStructuresKey: Symbol.for('structures') });
  const blocks = root.openDB({ name: 'partial-blocks', keyEncoding: 'binary', encoding: 'binary' });
  const runs = root.openDB({ name: 'partial-runs', encoding: 'binary' });
  const meta = root.openDB<unknown, string>({ name: 'meta' });
  root.transactionSync(() => {
    expect(runs.getKeysCount()).toBeGreaterThan(0);
    for (const key of [...blocks.getKeys()]) blocks.removeSync(key);
    for (const key of [...runs.getKeys()]) runs.removeSync(key);
    for (const key of ['00011p1', '00013s1', '00024acme']) legacy.putSync(key, { count: 999 });
    meta.putSync('format', 2);
  });
  await root.close();
}

describe('format upgrade', () => {
  it('opens a format-2 store with generation-keyed partials and reads the same profiles, sessions and accounts', async () => {
    const path = mkdtempSync(join(tmpdir(), 'eventdb-upgrade-'));
    dirs.push(path);
    let db = await EventDB.open({ path });
    await db.ingestBatch([
      event('a', 1, { userId: 'u1', attributes: { set: { plan: 'pro' } } }),
      event('b', 2, { accountId: 'acme' }),
      event('c', 3),
      event('d', 4, { userId: 'u1' }),
    ]);
    await db.ingestBatch([event('e', 5, { profileId: 'p1', accountId: 'acme' })]);
    const before = { profile: db.getProfile('u1'), other: db.getProfile('p2'), session: db.getSession('s1'), account: db.getAccount('acme') };
    await db.close();
    await downgradeToFormat2(path);

    db = await EventDB.open({ path });
    expect({ profile: db.getProfile('u1'), other: db.getProfile('p2'), session: db.getSession('s1'), account: db.getAccount('acme') }).toEqual(before);
    expect((await db.verify()).differences).toEqual([]);
    await db.close();

    const root = open({ path, maxDbs: 20, readOnly: true });
    expect(root.openDB({ name: 'partials' }).getKeysCount()).toBe(0);
    expect(root.openDB({ name: 'partial-runs', encoding: 'binary' }).getKeysCount()).toBeGreaterThan(0);
    expect(root.openDB<unknown, string>({ name: 'meta' }).get('format')).toBe(3);
    await root.close();
  });
});
