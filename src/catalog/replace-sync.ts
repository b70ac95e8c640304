// The removal step of a `replace` import: entries the feed did not list are removed, unless that is most of the catalog.

import { idOfPosition, indexPrefix, IndexedField, Partition, priceCeiling, successor } from '../storage/catalog-keys.js';
import type { CatalogStore } from '../storage/catalog-store.js';
import { removalRecord } from './catalog-records.js';
import type { ImportContext, ImportRun } from './feed-import.js';
import type { FeedError } from './import-options.js';

const PARTITIONS = [Partition.complete, Partition.incomplete] as const;
/** Above every position, priced or not. */
const END = priceCeiling(undefined);

/**
 * Removes every entry that exists and was not marked as read by this import
 * (an invalid item whose id could be read is marked too, so a validation slip
 * never deletes a product). Refuses, removing nothing, when that would be
 * more than half of the entries the catalog had when the import began,
 * unless `allowMassRemoval`. Scans and removes in batches, so memory stays
 * bounded however many entries go.
 */
export async function removeAbsent(ctx: ImportContext, run: ImportRun, sizeBefore: number, allowMassRemoval: boolean): Promise<FeedError | undefined> {
  // The marks are written on their own, beside the import's write calls: every one must be committed first.
  await ctx.store.committed();
  const wouldRemove = countAbsent(ctx.store);
  if (!allowMassRemoval && wouldRemove > sizeBefore / 2) {
    return {
      code: 'MASS_REMOVAL_REFUSED',
      message: `replace would remove ${wouldRemove} of the ${sizeBefore} products the catalog had; nothing was removed (pass allowMassRemoval: true to proceed)`,
    };
  }
  for (const partition of PARTITIONS) {
    const prefix = indexPrefix(partition, IndexedField.all, '');
    let from: Buffer = Buffer.alloc(0);
    for (;;) {
      const { ids, next } = absentIds(ctx.store, prefix, from, run.options.batchSize);
      if (ids.length > 0)
        await run.write(
          ids.map((id) => removalRecord(id, run.time)),
          'removed',
        );
      if (next === undefined) break;
      from = next;
    }
  }
  return undefined;
}

function countAbsent(store: CatalogStore): number {
  let count = 0;
  for (const partition of PARTITIONS) {
    const prefix = indexPrefix(partition, IndexedField.all, '');
    for (const key of store.indexKeys(prefix, Buffer.concat([prefix, END]))) {
      if (!store.isMarked(idOfPosition(key.subarray(prefix.length)))) count++;
    }
  }
  return count;
}

/** Up to `limit` unmarked ids from position `from` on, and where to continue (undefined at the end). */
function absentIds(store: CatalogStore, prefix: Buffer, from: Buffer, limit: number): { ids: string[]; next: Buffer | undefined } {
  const ids: string[] = [];
  for (const key of store.indexKeys(Buffer.concat([prefix, from]), Buffer.concat([prefix, END]))) {
    const position = key.subarray(prefix.length);
    const id = idOfPosition(position);
    if (!store.isMarked(id)) ids.push(id);
    if (ids.length === limit) return { ids, next: successor(position) };
  }
  return { ids, next: undefined };
}
