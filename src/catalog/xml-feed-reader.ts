// Streams the products of an XML feed, <catalog><products><product>…, with the saxes SAX parser.

import { SaxesParser, type SaxesTagNS } from 'saxes';
import { MalformedFeedError, type FeedItem } from './feed-item.js';
import { ProductBuilder } from './xml-product-builder.js';

/**
 * Yields the `<product>` elements of `<catalog><products>`, one batch per text
 * chunk. Element names are matched by local name, so namespaced feeds
 * (`<g:price>`, a default `xmlns`) read the same. Entities (the predefined
 * ones, character references, and those declared in the document's internal
 * DTD) and CDATA sections become text. The first well-formedness error stops
 * the feed with its line and column; products completed before it are yielded.
 */
export async function* readXmlFeed(text: AsyncIterable<string>): AsyncGenerator<FeedItem[]> {
  const reader = new XmlFeed();
  for await (const chunk of text) {
    reader.write(chunk);
    yield* reader.drain();
  }
  reader.close();
  yield* reader.drain();
}

class XmlFeed {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  /** Local names of the open elements above the current product (the product's own ones are in the builder). */
  private readonly path: string[] = [];
  private product: ProductBuilder | undefined;
  private items: FeedItem[] = [];
  private index = 0;
  private sawRoot = false;
  private error: MalformedFeedError | undefined;
  /** Stream position right after the last product's close tag. */
  private lastClose = -1;

  constructor() {
    const p = this.parser;
    p.on('error', (err) => this.onError(err.message.replace(/^\d+:\d+: /, '')));
    p.on('doctype', (doctype) => declareEntities(doctype, p.ENTITIES));
    p.on('opentag', (tag) => this.error === undefined && this.openElement(tag));
    p.on('closetag', () => this.error === undefined && this.closeElement());
    p.on('text', (text) => this.error === undefined && this.product?.text(text));
    p.on('cdata', (text) => this.error === undefined && this.product?.text(text));
  }

  write(chunk: string): void {
    if (this.error === undefined) this.parser.write(chunk);
  }

  close(): void {
    if (this.error === undefined) this.parser.close();
    if (this.error === undefined && !this.sawRoot) this.fail('the feed has no <catalog> element', this.parser.line, this.parser.column);
  }

  /** The items completed so far, as one batch; then the error that stopped the feed, if any. */
  *drain(): Generator<FeedItem[]> {
    if (this.items.length > 0) yield this.items;
    this.items = [];
    if (this.error !== undefined) throw this.error;
  }

  private openElement(tag: SaxesTagNS): void {
    if (this.product !== undefined) {
      this.product.open(tag);
      return;
    }
    if (!this.sawRoot) {
      this.sawRoot = true;
      if (tag.local !== 'catalog')
        this.fail(`the root element is <${tag.name}>; a feed is <catalog><products><product>…`, this.parser.line, this.parser.column);
    }
    if (this.path.length === 2 && this.path[1] === 'products' && tag.local === 'product') this.product = new ProductBuilder();
    else this.path.push(tag.local);
  }

  private closeElement(): void {
    if (this.product === undefined) {
      this.path.pop();
      return;
    }
    const fields = this.product.close();
    if (fields === undefined) return;
    this.items.push({ index: this.index++, fields });
    this.product = undefined;
    this.lastClose = this.parser.position;
  }

  /**
   * saxes reports a close tag that does not match after it has emitted the
   * close of the element it pops; an error at the very position of a
   * product's close means that close was not `</product>`: the product is not kept.
   */
  private onError(message: string): void {
    if (this.error === undefined && this.parser.position === this.lastClose && this.items.length > 0) {
      this.items.pop();
      this.index--;
    }
    this.fail(message, this.parser.line, this.parser.column);
  }

  private fail(message: string, line: number, column: number): void {
    this.error ??= new MalformedFeedError(`malformed XML: ${message}`, line, column);
  }
}

const ENTITY_DECLARATION = /<!ENTITY\s+([^\s%"']+)\s+(?:"([^"]*)"|'([^']*)')\s*>/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Internal general entities declared in the DOCTYPE (`<!ENTITY shop "Luma">`), which saxes reads but does not declare. */
function declareEntities(doctype: string, entities: Record<string, string>): void {
  for (const match of doctype.matchAll(ENTITY_DECLARATION)) {
    const value = (match[2] ?? match[3] ?? '').replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (all, ref: string) => {
      if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      return PREDEFINED[ref] ?? all;
    });
    entities[match[1]!] = value;
  }
}
