// The JSON and XML feed readers on their own: structure, entities, CDATA, namespaces, chunk boundaries, errors with positions.

import { describe, expect, it } from 'vitest';
import { MalformedFeedError, type FeedItem } from '../../src/catalog/feed-item.js';
import { decodeText, detectFormat } from '../../src/catalog/feed-source.js';
import { readJsonFeed } from '../../src/catalog/json-feed-reader.js';
import { readXmlFeed } from '../../src/catalog/xml-feed-reader.js';

/** Text as chunks of `size` characters (1 = every character its own chunk). */
async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

async function read(reader: typeof readJsonFeed, text: string, size = 7): Promise<{ items: FeedItem[]; error?: MalformedFeedError }> {
  const items: FeedItem[] = [];
  try {
    for await (const batch of reader(chunked(text, size))) items.push(...batch);
    return { items };
  } catch (err) {
    if (!(err instanceof MalformedFeedError)) throw err;
    return { items, error: err };
  }
}

describe('JSON feed reader', () => {
  const feed = '{"meta":{"products":[9]},"products":[{"product":{"id":"a","tags":["x"]}},{"id":"b"},5,{"product":{"id":"c","__proto__":{"p":1}}}]}';

  it.each([1, 7, 4096])('reads the products array element by element (chunks of %i)', async (size) => {
    const { items, error } = await read(readJsonFeed, feed, size);
    expect(error).toBeUndefined();
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    expect(items.map((i) => i.fields)).toEqual([{ id: 'a', tags: ['x'] }, { id: 'b' }, 5, JSON.parse('{"id":"c","__proto__":{"p":1}}')]);
    expect(Object.hasOwn(items[3]!.fields as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['p']).toBeUndefined();
  });

  it('stops at a syntax error with its line and column, after yielding the products before it', async () => {
    const text = '{"products":[\n{"product":{"id":"a"}},\n{"product":{"id":"b"}},\n{"product":{"id": tru}}]}';
    const { items, error } = await read(readJsonFeed, text, 5);
    expect(items.map((i) => (i.fields as { id: string }).id)).toEqual(['a', 'b']);
    expect(error).toMatchObject({ line: 4, column: 19 });
    expect(error!.message).toMatch(/^malformed JSON/);
  });

  it('reports a truncated feed', async () => {
    const { items, error } = await read(readJsonFeed, '{"products":[{"product":{"id":"a"}},{"product":{"id":"b"');
    expect(items).toHaveLength(1);
    expect(error!.message).toMatch(/malformed JSON/);
  });

  it('wants a top-level products array', async () => {
    expect((await read(readJsonFeed, '{"items":[]}')).error!.message).toMatch(/no top-level "products" array/);
    expect((await read(readJsonFeed, '{"products":{"a":1}}')).error!.message).toMatch(/"products" must be an array/);
    expect(await read(readJsonFeed, '{"products":[]}')).toEqual({ items: [] });
  });
});

describe('XML feed reader', () => {
  it('maps elements to fields: text, repeated <tag>, comma tags, nested and repeated elements, price currency', async () => {
    const xml = `<catalog><title>Shop</title><products>
      <product><id> a </id><tags><tag>x</tag><tag>y</tag></tags><price currency="EUR">9.50</price>
        <shipping><country>US</country><country>CA</country><speed>fast</speed></shipping><color>red</color><color>blue</color></product>
      <product><id>b</id><tags><tag>only</tag></tags><brand/></product>
      <product><id>c</id><tags>p, q</tags></product>
      <other><id>ignored</id></other>
    </products></catalog>`;
    const { items, error } = await read(readXmlFeed, xml, 3);
    expect(error).toBeUndefined();
    expect(items.map((i) => i.fields)).toEqual([
      { id: 'a', tags: ['x', 'y'], price: '9.50 EUR', shipping: { country: ['US', 'CA'], speed: 'fast' }, color: ['red', 'blue'] },
      { id: 'b', tags: ['only'], brand: '' },
      { id: 'c', tags: 'p, q' },
    ]);
    expect(items.map((i) => i.index)).toEqual([0, 1, 2]);
  });

  it('reads entities (predefined, numeric, declared in the DTD), CDATA and namespaces', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE catalog [ <!ENTITY shop "Luma &amp; Co"> ]>
<c:catalog xmlns:c="urn:catalog" xmlns:g="http://base.google.com/ns/1.0" xmlns="urn:default">
  <c:products><c:product>
    <g:id>n1</g:id><title>Tom &amp; Jerry &#233;&#x263A; &lt;3 &shop;</title>
    <description><![CDATA[<p>5 > 3 & "quoted"</p>]]> and text</description>
  </c:product></c:products>
</c:catalog>`;
    const { items, error } = await read(readXmlFeed, xml, 1);
    expect(error).toBeUndefined();
    expect(items[0]!.fields).toEqual({ id: 'n1', title: 'Tom & Jerry é☺ <3 Luma & Co', description: '<p>5 > 3 & "quoted"</p> and text' });
  });

  it('stops at the first well-formedness error with line and column; products before it are kept', async () => {
    const xml =
      '<catalog>\n<products>\n<product><id>1</id></product>\n<product><id>2</id></product>\n<product><id>3</oops></product>\n<product><id>4</id></product>\n</products></catalog>';
    const { items, error } = await read(readXmlFeed, xml, 5);
    expect(items.map((i) => (i.fields as { id: string }).id)).toEqual(['1', '2']);
    expect(error).toMatchObject({ line: 5, column: 21 }); // the `>` that ends `</oops>`
    expect(error!.message).toMatch(/^malformed XML: unexpected close tag/);
  });

  it('does not keep a product whose own close tag is the mismatched one', async () => {
    const { items, error } = await read(readXmlFeed, '<catalog><products><product><id>1</id></product><product><id>2</id></wrong></products></catalog>');
    expect(items.map((i) => (i.fields as { id: string }).id)).toEqual(['1']);
    expect(error).toBeDefined();
  });

  it('rejects an undefined entity, a truncated feed, another root, and an empty document', async () => {
    expect((await read(readXmlFeed, '<catalog><products><product><id>&nbsp;</id></product></products></catalog>')).error!.message).toMatch(/undefined entity/);
    const truncated = await read(readXmlFeed, '<catalog><products><product><id>1</id></product><product><id>2');
    expect(truncated.items).toHaveLength(1);
    expect(truncated.error!.message).toMatch(/malformed XML/);
    expect((await read(readXmlFeed, '<rss><channel/></rss>')).error!.message).toMatch(/root element is <rss>/);
    expect((await read(readXmlFeed, '<?xml version="1.0"?>')).error!.message).toMatch(/malformed XML/);
  });
});

describe('feed sources', () => {
  const texts = async (chunks: (string | Uint8Array)[]): Promise<string> => {
    let out = '';
    for await (const text of decodeText(
      (async function* () {
        yield* chunks;
      })(),
    ))
      out += text;
    return out;
  };

  it('decodes UTF-8 across chunk boundaries and drops a BOM', async () => {
    const bytes = Buffer.from('\uFEFF<catalog>é☺</catalog>', 'utf8');
    expect(await texts([...bytes].map((b) => Uint8Array.of(b)))).toBe('<catalog>é☺</catalog>');
  });

  it('detects the format from the first character that is not white space', async () => {
    const detect = async (text: string) => (await detectFormat(chunked(text, 2))).format;
    expect(await detect('  \n {"products":[]}')).toBe('json');
    expect(await detect('\n<catalog/>')).toBe('xml');
    expect(await detect('   ')).toBeUndefined();
    expect(await detect('products')).toBeUndefined();
    let replayed = '';
    for await (const text of (await detectFormat(chunked('  <a/>', 1))).text) replayed += text;
    expect(replayed).toBe('  <a/>');
  });
});
