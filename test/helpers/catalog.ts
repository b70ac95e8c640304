// Builders of catalog products and feeds for tests.

import { Readable } from 'node:stream';
import { feedText, jsonFeed, xmlFeed, type FeedProduct, type XmlFeedOptions } from '../fixtures/feed-writers.js';

/** A valid feed product; fields can be overridden or removed (set to undefined). */
export function product(id: string, overrides: FeedProduct = {}): FeedProduct {
  return {
    id,
    title: `Product ${id}`,
    description: `The ${id}.`,
    url: `https://shop.test/p/${id}`,
    image_link: `https://shop.test/p/${id}.jpg`,
    ...overrides,
  };
}

export function jsonBuffer(products: FeedProduct[]): Buffer {
  return Buffer.from(feedText(jsonFeed(products)));
}

export function xmlBuffer(products: FeedProduct[], options?: XmlFeedOptions): Buffer {
  return Buffer.from(feedText(xmlFeed(products, options)));
}

/** A readable stream of the text, in chunks of `size` bytes. */
export function streamOf(text: string | Buffer, size = 64): Readable {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks);
}
