// A generated product catalog of any size, written as a JSON or XML feed file with backpressure (never whole in memory).

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32 } from '../src/demo/dataset.js';
import { jsonFeed, xmlFeed, type FeedProduct } from '../test/fixtures/feed-writers.js';

export const CATEGORIES = Array.from({ length: 100 }, (_, i) => `category-${String(i).padStart(3, '0')}`);
const BRANDS = Array.from({ length: 200 }, (_, i) => `brand-${i}`);
const TAGS = Array.from({ length: 50 }, (_, i) => `tag-${i}`);
const AVAILABILITY = ['in stock', 'out of stock', 'preorder', 'backorder'];

/** `count` products, deterministic for a seed: 100 categories, 200 brands, prices 1–500 USD, about 330 bytes each as JSON. */
export function* products(count: number, seed = 42): Generator<FeedProduct> {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  for (let i = 0; i < count; i++) {
    const id = `sku-${String(i).padStart(7, '0')}`;
    yield {
      id,
      title: `Product ${i} ${pick(['shirt', 'shoe', 'lamp', 'mug', 'bag'])}`,
      description: `A generated product, number ${i}, for the catalog benchmark.`,
      url: `https://shop.example.com/p/${id}`,
      image_link: `https://cdn.example.com/img/${id}.jpg`,
      price: `${(1 + Math.floor(rnd() * 49_900) / 100).toFixed(2)} USD`,
      brand: pick(BRANDS),
      category: pick(CATEGORIES),
      tags: [pick(TAGS), pick(TAGS)],
      availability: pick(AVAILABILITY),
      rating: Math.round(rnd() * 50) / 10,
    };
  }
}

/** Writes the feed of `count` generated products to `path`; resolves with its size in bytes. */
export async function writeFeed(path: string, format: 'json' | 'xml', count: number): Promise<number> {
  const out = createWriteStream(path);
  const chunks = format === 'json' ? jsonFeed(products(count)) : xmlFeed(products(count));
  let pending = '';
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length < 1 << 16) continue;
    if (!out.write(pending)) await once(out, 'drain');
    pending = '';
  }
  out.end(pending);
  await once(out, 'finish');
  return out.bytesWritten;
}
