// The steps of the crash loop: batches of events (with links and accounts), attribute updates and catalog imports,
// deterministic per (round, step) so the parent knows what every acknowledgement covers.

import type { EventDB } from '../../src/index.js';
import { crashBatch, crashBatchSize } from './crash-batches.js';

export type StepKind = 'batch' | 'attributes' | 'catalog';

/** Products per catalog step: fewer than one import batch, so an import commits in one transaction. */
export const FEED_ITEMS = 5;

export function stepKind(step: number): StepKind {
  return (['batch', 'attributes', 'catalog'] as const)[step % 3]!;
}

const sku = (round: number, step: number, j: number): string => `r${round}-k${step}-sku${j}`;
const attributeEventId = (round: number, step: number): string => `r${round}-attr-${step}`;

/** Runs step `step` of round `round` against the store; resolves once it is acknowledged (durable). */
export async function runStep(db: EventDB, round: number, step: number): Promise<void> {
  switch (stepKind(step)) {
    case 'batch':
      await db.ingestBatch(crashBatch(round, step));
      return;
    case 'attributes':
      await db.setAttributes(
        { userId: `u${step % 7}` },
        { set: { [`a${step % 11}`]: step, round }, eventId: attributeEventId(round, step), timestamp: new Date(Date.UTC(2026, 0, 2) + step).toISOString() },
      );
      return;
    case 'catalog': {
      const products = Array.from({ length: FEED_ITEMS }, (_, j) => ({
        product: {
          id: sku(round, step, j),
          title: `Item ${j}`,
          description: 'crash loop',
          url: `https://shop.example.com/${j}`,
          image_link: `https://shop.example.com/${j}.jpg`,
          price: `${j + 1}.00 USD`,
        },
      }));
      const result = await db.catalog.importFeed(Buffer.from(JSON.stringify({ products })), { format: 'json' });
      if (result.imported !== FEED_ITEMS) throw new Error(`catalog step imported ${result.imported}`);
      return;
    }
  }
}

/** How much of step `step` is in the store, and how much a whole step is (records it adds to the log). */
export function stepPresence(db: EventDB, round: number, step: number): { present: number; whole: number } {
  switch (stepKind(step)) {
    case 'batch': {
      const whole = crashBatchSize(round, step);
      let present = 0;
      for (let i = 0; i < whole; i++) if (db.getEvent(`r${round}-b${step}-${i}`) !== undefined) present++;
      return { present, whole };
    }
    case 'attributes':
      return { present: db.getEvent(attributeEventId(round, step)) === undefined ? 0 : 1, whole: 1 };
    case 'catalog': {
      let present = 0;
      for (let j = 0; j < FEED_ITEMS; j++) if (db.catalog.get(sku(round, step, j)) !== undefined) present++;
      return { present, whole: FEED_ITEMS };
    }
  }
}
