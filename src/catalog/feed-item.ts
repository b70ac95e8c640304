// What feed readers produce: products with their position in the feed, and the error that stops a malformed feed.

/** One product as read from a feed, before validation: its 0-based position among the feed's products, and its fields. */
export interface FeedItem {
  index: number;
  fields: unknown;
}

/**
 * Thrown by a feed reader when the feed cannot be read further (bad syntax,
 * wrong structure). Items read before it were already handed out and stay
 * imported. `line` and `column` are 1-based, when the parser knows them.
 */
export class MalformedFeedError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'MalformedFeedError';
  }
}

/** A feed reader: text chunks in, batches of items out (one per chunk that completed some). */
export type FeedReader = (text: AsyncIterable<string>) => AsyncGenerator<FeedItem[]>;
