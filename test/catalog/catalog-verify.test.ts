// The catalog is derived from the log: verify() finds tampering, rebuild() repairs it, and a store without catalog trees gets them at open.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDB } from '../../src/index.js';
import { jsonBuffer, product } from '../helpers/catalog.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eventdb-catalog-verify-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function seed(path: string): Promise<void> {
  const db = await EventDB.open({ path, clock: () => Date.UTC(2026, 0, 1) });
  await db.catalog.importFeed(jsonBuffer([product('a', { category: 'shoes', price: 3 }), product('b', { category: 'hats' })]));
  await db.ingest({ productId: 'c', timestamp: '2026-01-02T00:00:00Z', data: { title: 'C', brand: 'Acme' } });
  await db.close();
}

/** Edits the store's LMDB trees directly, as a bug or a manual edit would. */
async function tamper(
  path: string,
  edit: (trees: { index: ReturnType<typeof openTree>; entries: ReturnType<typeof openTree>; meta: ReturnType<typeof openTree> }) => Promise<void>,
): Promise<void> {
  const root = open({ path, maxDbs: 20 });
  await edit({ index: openTree(root, 'catalogIndex', true), entries: openTree(root, 'catalogEntries', false), meta: openTree(root, 'meta', false) });
  await root.close();
}

function openTree(root: ReturnType<typeof open>, name: string, binary: boolean) {
  return root.openDB(binary ? { name, keyEncoding: 'binary', encoding: 'binary' } : { name });
}

describe('catalog verify and rebuild', () => {
  it('verify finds a lost index key and a changed entry; rebuild repairs both', async () => {
    await seed(dir);
    await tamper(dir, async ({ index, entries }) => {
      const [first] = index.getKeys({ limit: 1 });
      await index.remove(first as Buffer);
      await entries.put('b', { id: 'b', v: [], a: -1, r: -1, f: [], x: [] });
    });
    const db = await EventDB.open({ path: dir });
    try {
      const report = await db.verify();
      expect(report.ok).toBe(false);
      expect(
        report.differences
          .filter((d) => d.kind === 'catalog')
          .map((d) => d.message)
          .join('\n'),
      ).toMatch(/catalog entry b differs[\s\S]*index/);
      expect(db.catalog.get('b')).toBeUndefined();
      await db.rebuild();
      const after = await db.verify();
      expect(after.differences).toEqual([]);
      expect(db.catalog.get('b')).toMatchObject({ category: 'hats' });
      expect(db.catalog.query({ category: 'shoes' }).items.map((e) => e.id)).toEqual(['a']);
    } finally {
      await db.close();
    }
  });

  it('a store whose catalog trees are missing (an older format) gets them rebuilt from the log at open', async () => {
    await seed(dir);
    await tamper(dir, async ({ index, entries, meta }) => {
      await Promise.all([index.clearAsync(), entries.clearAsync(), meta.remove('catalogFormat')]);
    });
    const db = await EventDB.open({ path: dir });
    try {
      expect(db.catalog.get('c')).toMatchObject({ title: 'C', brand: 'Acme', missing: ['description', 'url', 'image_link'] });
      expect(db.stats().products).toBe(3);
      expect((await db.verify()).ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});
