// Builds one <product> element's fields from SAX events: text elements as strings, nested ones as objects.

import type { SaxesTagNS } from 'saxes';
import { setOwn } from '../schema/catalog-item.js';
import type { JsonObject, JsonValue } from '../schema/json-value.js';

interface Frame {
  name: string;
  text: string;
  children: JsonObject | undefined;
  currency: string | undefined;
  /** Child names seen more than once: their value is a list. */
  lists?: Set<string>;
}

/**
 * The mapping, by local name: an element with text only is a string
 * (trimmed); one with child elements is an object of them, a repeated child
 * becomes a list; `<tags><tag>a</tag><tag>b</tag></tags>` is the list
 * `['a', 'b']`; `<price currency="USD">15.00</price>` is `"15.00 USD"`.
 * Other attributes are not read.
 */
export class ProductBuilder {
  private readonly frames: Frame[] = [{ name: 'product', text: '', children: undefined, currency: undefined }];

  open(tag: SaxesTagNS): void {
    const currency = tag.local === 'price' ? tag.attributes['currency']?.value : undefined;
    this.frames.push({ name: tag.local, text: '', children: undefined, currency });
  }

  text(text: string): void {
    this.frames[this.frames.length - 1]!.text += text;
  }

  /** Closes the innermost element; returns the product's fields when that was the product itself. */
  close(): JsonObject | undefined {
    const frame = this.frames.pop()!;
    const parent = this.frames[this.frames.length - 1];
    if (parent === undefined) return frame.children ?? {};
    const value = valueOf(frame, this.frames.length === 1);
    const siblings = (parent.children ??= {});
    const lists = (parent.lists ??= new Set());
    if (!Object.hasOwn(siblings, frame.name)) setOwn(siblings, frame.name, value);
    else if (lists.has(frame.name)) (siblings[frame.name] as JsonValue[]).push(value);
    else {
      lists.add(frame.name);
      setOwn(siblings, frame.name, [siblings[frame.name]!, value]);
    }
    return undefined;
  }
}

function valueOf(frame: Frame, isField: boolean): JsonValue {
  if (frame.children === undefined) {
    const text = frame.text.trim();
    return frame.currency !== undefined && text !== '' ? `${text} ${frame.currency.trim()}` : text;
  }
  if (isField && frame.name === 'tags') {
    const tag = frame.children['tag'];
    if (tag !== undefined && Object.keys(frame.children).length === 1) return Array.isArray(tag) ? tag : [tag];
  }
  return frame.children;
}
