// Unit tests for record validation (SPEC section 1): validateRecord's codes, paths and normalised output.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEHOLDER_IDS } from '../../src/options.js';
import type { Issue, IssueCode } from '../../src/schema/issues.js';
import type { NormalizedRecord } from '../../src/schema/record.js';
import { validateRecord, type ValidationContext } from '../../src/schema/validate.js';
import { hasEscapableKeys, unescapeKeys } from '../../src/schema/proto-keys.js';
import { hostileAnything } from '../helpers/hostile.js';

const ctx: ValidationContext = { placeholders: new Set(DEFAULT_PLACEHOLDER_IDS) };

type Input = Record<string, unknown>;

/** A complete, valid behavioural event; each test changes one thing. */
function event(overrides: Input = {}): Input {
  return {
    eventId: 'evt-1',
    profileId: 'prof-1',
    sessionId: 'sess-1',
    eventName: 'page_view',
    timestamp: '2026-01-31T10:00:00Z',
    ...overrides,
  };
}

/** A valid product ingestion payload (SPEC 1.2 example). */
function product(overrides: Input = {}): Input {
  return { productId: '123', data: { name: 'Wine', amount: 150, quantity: 4 }, ...overrides };
}

function without(input: Input, ...keys: string[]): Input {
  const copy = { ...input };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The shape every reported issue must have. */
function anIssue(code: IssueCode, path: string): Issue {
  return { code, path, message: expect.stringMatching(/\S/) };
}

/** Validates an input that must be rejected, and returns its errors. */
function rejected(input: unknown, context: ValidationContext = ctx): Issue[] {
  const result = validateRecord(input, context);
  if (result.ok) throw new Error(`expected a rejection, got the record ${JSON.stringify(result.record)}`);
  expect(result.errors.length).toBeGreaterThan(0);
  for (const error of result.errors) {
    expect(typeof error.code).toBe('string');
    expect(typeof error.path).toBe('string');
    expect(typeof error.message).toBe('string');
    expect(error.message.trim()).not.toBe('');
  }
  return result.errors;
}

/** Validates an input that must be accepted, and returns its record and warnings. */
function accepted(input: unknown, context: ValidationContext = ctx): { record: NormalizedRecord; warnings: Issue[] } {
  const result = validateRecord(input, context);
  if (!result.ok) throw new Error(`expected acceptance, got the errors ${JSON.stringify(result.errors)}`);
  return { record: result.record, warnings: result.warnings };
}

/** Nested plain objects: `levels` objects in all, the outermost first, e.g. 2 → `{ a: { leaf: 1 } }`. */
function nestedObjects(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

class Point {
  constructor(
    public x = 1,
    public y = 2,
  ) {}
}

const ID_FIELDS = ['eventId', 'profileId', 'userId', 'sessionId', 'accountId', 'pageId', 'eventName', 'productId'] as const;

/** A valid record that can carry the given identifier field (productId turns a record into a product payload). */
function baseFor(field: (typeof ID_FIELDS)[number]): Input {
  return field === 'productId' ? product() : event();
}

describe('validateRecord: the record must be a plain object', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['zero', 0],
    ['NaN', Number.NaN],
    ['a string', 'eventId=evt-1'],
    ['a JSON text', JSON.stringify(event())],
    ['a boolean', true],
    ['a bigint', 10n],
    ['a symbol', Symbol('record')],
    ['a function', () => event()],
    ['an empty array', []],
    ['an array holding a valid record', [event()]],
    ['a Date', new Date('2026-01-31T10:00:00Z')],
    ['a class instance', new Point()],
    ['a Map', new Map(Object.entries(event()))],
    ['a Set', new Set([1])],
    ['a boxed string', new String('x')],
  ])('rejects %s with NOT_AN_OBJECT at the root path', (_label, input) => {
    expect(rejected(input)).toEqual([anIssue('NOT_AN_OBJECT', '')]);
  });

  it('rejects an object whose prototype is a plain object (not itself plain)', () => {
    const input = Object.create(event()) as object;
    expect(rejected(input)).toEqual([anIssue('NOT_AN_OBJECT', '')]);
  });

  it('accepts an Object.create(null) record and validates it like a literal', () => {
    const input = Object.assign(Object.create(null) as Input, event());
    const { record, warnings } = accepted(input);
    expect(record.kind).toBe('event');
    expect(record.eventId).toBe('evt-1');
    expect(warnings).toEqual([]);
  });

  it('reports field problems on an Object.create(null) record too', () => {
    const input = Object.assign(Object.create(null) as Input, without(event(), 'sessionId'));
    expect(rejected(input)).toEqual([anIssue('MISSING_FIELD', 'sessionId')]);
  });
});

describe('validateRecord: required fields', () => {
  it.each(['eventId', 'sessionId', 'eventName', 'timestamp'])('rejects an event without %s (MISSING_FIELD)', (field) => {
    expect(rejected(without(event(), field))).toEqual([anIssue('MISSING_FIELD', field)]);
  });

  it.each(['eventId', 'sessionId', 'eventName', 'timestamp'])('treats an explicit undefined %s as missing', (field) => {
    expect(rejected(event({ [field]: undefined }))).toEqual([anIssue('MISSING_FIELD', field)]);
  });

  it('rejects a product payload without data (MISSING_FIELD data)', () => {
    expect(rejected(without(product(), 'data'))).toEqual([anIssue('MISSING_FIELD', 'data')]);
  });

  it('rejects an event with neither profileId nor userId (MISSING_IDENTIFIER at profileId)', () => {
    expect(rejected(without(event(), 'profileId'))).toEqual([anIssue('MISSING_IDENTIFIER', 'profileId')]);
  });

  it('rejects an event whose profileId and userId are both explicitly undefined', () => {
    expect(rejected(event({ profileId: undefined, userId: undefined }))).toEqual([anIssue('MISSING_IDENTIFIER', 'profileId')]);
  });

  it('accepts an event with only a userId', () => {
    const { record } = accepted(without(event({ userId: 'user-1' }), 'profileId'));
    expect(record.userId).toBe('user-1');
    expect(Object.hasOwn(record, 'profileId')).toBe(false);
  });

  it('accepts an event with only a profileId', () => {
    const { record } = accepted(event());
    expect(record.profileId).toBe('prof-1');
    expect(Object.hasOwn(record, 'userId')).toBe(false);
  });

  it('accepts an event with both profileId and userId', () => {
    const { record } = accepted(event({ userId: 'user-1' }));
    expect(record.profileId).toBe('prof-1');
    expect(record.userId).toBe('user-1');
  });

  it('reports every missing field of an empty object at once', () => {
    const errors = rejected({});
    expect(errors).toHaveLength(5);
    expect(errors).toEqual(
      expect.arrayContaining([
        anIssue('MISSING_FIELD', 'eventId'),
        anIssue('MISSING_FIELD', 'sessionId'),
        anIssue('MISSING_FIELD', 'eventName'),
        anIssue('MISSING_FIELD', 'timestamp'),
        anIssue('MISSING_IDENTIFIER', 'profileId'),
      ]),
    );
  });
});

describe('validateRecord: identifier fields', () => {
  const wrongValues: [string, unknown][] = [
    ['a number', 123],
    ['null', null],
    ['a boolean', true],
    ['an object', { id: 'x' }],
    ['an array', ['x']],
    ['a boxed string', new String('x')],
  ];
  const wrongTypeCases = ID_FIELDS.flatMap((field) => wrongValues.map(([label, value]) => [field, label, value] as const));

  it.each(wrongTypeCases)('rejects %s given as %s (WRONG_TYPE)', (field, _label, value) => {
    expect(rejected({ ...baseFor(field), [field]: value })).toEqual([anIssue('WRONG_TYPE', field)]);
  });

  const emptyCases = ID_FIELDS.flatMap((field) => ['', ' ', '\t\n  '].map((value) => [field, value] as const));

  it.each(emptyCases)('rejects an empty or blank %s %j (EMPTY_VALUE)', (field, value) => {
    expect(rejected({ ...baseFor(field), [field]: value })).toEqual([anIssue('EMPTY_VALUE', field)]);
  });

  it('limits an eventId to 256 characters (UTF-16 units, as String.length counts): 256 accepted as sent, 257 rejected with TOO_LONG at eventId', () => {
    const at256 = 'é'.repeat(200) + '🙂'.repeat(28);
    expect(at256.length).toBe(256);
    expect(accepted(event({ eventId: at256 })).record.eventId).toBe(at256);
    expect(rejected(event({ eventId: `${at256}x` }))).toEqual([anIssue('TOO_LONG', 'eventId')]);
    expect(rejected(event({ eventId: 'x'.repeat(10_000) }))).toEqual([anIssue('TOO_LONG', 'eventId')]);
  });

  it.each(ID_FIELDS)('rejects a 257-character %s (TOO_LONG)', (field) => {
    expect(rejected({ ...baseFor(field), [field]: 'x'.repeat(257) })).toEqual([anIssue('TOO_LONG', field)]);
  });

  it.each(ID_FIELDS)('accepts a 256-character %s and keeps it unchanged', (field) => {
    const value = 'x'.repeat(256);
    const { record } = accepted({ ...baseFor(field), [field]: value });
    expect(record[field]).toBe(value);
  });

  it.each(ID_FIELDS)('rejects a %s containing NUL (INVALID_CHARACTER)', (field) => {
    expect(rejected({ ...baseFor(field), [field]: 'ab\u0000cd' })).toEqual([anIssue('INVALID_CHARACTER', field)]);
  });

  it.each(ID_FIELDS)('rejects a %s holding a lone UTF-16 surrogate (INVALID_CHARACTER), and keeps one with a pair', (field) => {
    expect(rejected({ ...baseFor(field), [field]: JSON.parse('"ab\\ud800cd"') })).toEqual([anIssue('INVALID_CHARACTER', field)]);
    expect(rejected({ ...baseFor(field), [field]: JSON.parse('"ab\\udc00"') })).toEqual([anIssue('INVALID_CHARACTER', field)]);
    expect(accepted({ ...baseFor(field), [field]: 'ab\u{1F600}cd' }).record[field]).toBe('ab\u{1F600}cd');
  });

  it('keeps identifiers as given (no trimming or case folding)', () => {
    const { record } = accepted(event({ eventId: ' Evt-1 ', profileId: 'Prof 1', eventName: 'Page View' }));
    expect(record.eventId).toBe(' Evt-1 ');
    expect(record.profileId).toBe('Prof 1');
    expect(record.eventName).toBe('Page View');
  });

  it('accepts non-ASCII identifiers', () => {
    const { record } = accepted(event({ profileId: 'prófïl-日本-🙂', eventName: 'achat' }));
    expect(record.profileId).toBe('prófïl-日本-🙂');
  });
});

describe('validateRecord: timestamp', () => {
  it.each<[string, unknown]>([
    ['a number (epoch ms)', 1769853600000],
    ['a Date', new Date('2026-01-31T10:00:00Z')],
    ['null', null],
    ['an object', { iso: '2026-01-31T10:00:00Z' }],
  ])('rejects a timestamp given as %s (WRONG_TYPE)', (_label, value) => {
    expect(rejected(event({ timestamp: value }))).toEqual([anIssue('WRONG_TYPE', 'timestamp')]);
  });

  it.each([
    '2026-02-30T10:00:00Z', // day 30 of February
    '2026-02-29T10:00:00Z', // 2026 is not a leap year
    '2026-04-31T10:00:00Z',
    '2026-01-01T10:00:00', // no zone
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T10:60:00Z',
    '2026-01-01T10:00:60Z',
    'yesterday',
    '',
    '2026-01-01',
    '2026-01-01 10:00:00Z',
    ' 2026-01-01T10:00:00Z',
    '2026-01-01T10:00:00Z ',
    '2026-01-01T10:00:00+25:00',
    '2026-01-01T10:00:00+02:60',
    '2026-01-01T10:00:00+02',
    '2026-01-01T10:00:00.Z',
    'Sat, 31 Jan 2026 10:00:00 GMT',
  ])('rejects %j (INVALID_TIMESTAMP)', (timestamp) => {
    expect(rejected(event({ timestamp }))).toEqual([anIssue('INVALID_TIMESTAMP', 'timestamp')]);
  });

  it('says that the zone is missing when a timestamp has none', () => {
    const [error] = rejected(event({ timestamp: '2026-01-01T10:00:00' }));
    expect(error?.code).toBe('INVALID_TIMESTAMP');
    expect(error?.message).toMatch(/zone/i);
  });

  it.each([
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'], // leap day
    ['2026-01-01T10:00:00.123456Z', '2026-01-01T10:00:00.123Z'], // truncated to ms
    ['2026-01-01T10:00:00.999999Z', '2026-01-01T10:00:00.999Z'], // truncated, not rounded
    ['2026-01-01T12:00:00+02:00', '2026-01-01T10:00:00.000Z'],
    ['2026-01-01T05:30:00-04:30', '2026-01-01T10:00:00.000Z'],
    ['2025-12-31T23:30:00-01:00', '2026-01-01T00:30:00.000Z'], // offset crosses a year
    ['2026-01-01t10:00:00z', '2026-01-01T10:00:00.000Z'], // lowercase t and z
    ['2026-01-01T10:00:00,5Z', '2026-01-01T10:00:00.500Z'], // comma decimal separator
    ['2026-01-31T10:00:00.123Z', '2026-01-31T10:00:00.123Z'],
  ])('accepts %j with time = Date.parse(%j)', (timestamp, utc) => {
    const { record, warnings } = accepted(event({ timestamp }));
    expect(record.time).toBe(Date.parse(utc));
    expect(warnings).toEqual([]);
  });

  it('gives the same instant for +02:00 and the equivalent UTC time', () => {
    const offset = accepted(event({ timestamp: '2026-01-01T12:00:00+02:00' })).record.time;
    const utc = accepted(event({ timestamp: '2026-01-01T10:00:00Z' })).record.time;
    expect(offset).toBe(utc);
  });

  it('rejects a non-digit year in the common SDK form', () => {
    expect(rejected(event({ timestamp: '202X-01-31T10:00:00Z' }))).toEqual([anIssue('INVALID_TIMESTAMP', 'timestamp')]);
  });
});

describe('validateRecord: unknown and disallowed fields', () => {
  it.each(['foo', 'event_id', 'EventId', 'eventid', 'properties', 'ts', 'productID', '__proto__'])(
    'rejects the unknown top-level field %j (UNKNOWN_FIELD, path = the field name)',
    (name) => {
      const input = event();
      Object.defineProperty(input, name, { value: 1, enumerable: true, configurable: true, writable: true });
      expect(rejected(input)).toEqual([anIssue('UNKNOWN_FIELD', name)]);
    },
  );

  it('rejects an unknown __proto__ key of a JSON.parse()d record', () => {
    const input: unknown = JSON.parse(JSON.stringify(event()).replace(/^\{/, '{"__proto__":{"x":1},'));
    expect(rejected(input)).toEqual([anIssue('UNKNOWN_FIELD', '__proto__')]);
  });

  it('rejects an unknown key inside attributes (UNKNOWN_FIELD at attributes.foo)', () => {
    expect(rejected(event({ attributes: { foo: { a: 1 } } }))).toEqual([anIssue('UNKNOWN_FIELD', 'attributes.foo')]);
  });

  it('rejects an unknown key inside accountAttributes (UNKNOWN_FIELD at accountAttributes.add)', () => {
    const input = event({ accountId: 'acc-1', accountAttributes: { add: { a: 1 } } });
    expect(rejected(input)).toEqual([anIssue('UNKNOWN_FIELD', 'accountAttributes.add')]);
  });

  it('rejects attributes on a product payload (NOT_ALLOWED)', () => {
    expect(rejected(product({ attributes: { set: { a: 1 } } }))).toEqual([anIssue('NOT_ALLOWED', 'attributes')]);
  });

  it('rejects accountAttributes on a product payload (NOT_ALLOWED)', () => {
    const input = product({ accountId: 'acc-1', accountAttributes: { set: { a: 1 } } });
    expect(rejected(input)).toEqual([anIssue('NOT_ALLOWED', 'accountAttributes')]);
  });

  it('ignores explicitly undefined attributes on a product payload', () => {
    const { record } = accepted(product({ attributes: undefined, accountAttributes: undefined }));
    expect(Object.hasOwn(record, 'attributes')).toBe(false);
    expect(Object.hasOwn(record, 'accountAttributes')).toBe(false);
  });
});

describe('validateRecord: data', () => {
  it('rejects a lone surrogate anywhere in data or an update, named by its path (a key by its JSON escape)', () => {
    const lone = JSON.parse('"x\\ud800"') as string;
    expect(rejected(event({ data: { list: ['ok', lone] } }))).toEqual([anIssue('INVALID_CHARACTER', 'data.list[1]')]);
    expect(rejected(event({ data: { nested: { [lone]: 1 } } }))).toEqual([anIssue('INVALID_CHARACTER', 'data.nested.x\\ud800')]);
    expect(rejected(event({ userId: 'u1', attributes: { set: { a: lone } } }))).toEqual([anIssue('INVALID_CHARACTER', 'attributes.set.a')]);
    expect(rejected(event({ userId: 'u1', attributes: { unset: ['a', lone] } }))).toEqual([anIssue('INVALID_CHARACTER', 'attributes.unset[1]')]);
    expect(accepted(event({ data: { '\u{1F600}': '\u{1F600}' } })).record.data).toEqual({ '\u{1F600}': '\u{1F600}' });
  });

  it('stores -0 in data and attribute values as 0, as the log gives it back', () => {
    const { record } = accepted(event({ userId: 'u1', data: { v: -0, list: [1, -0] }, attributes: { set: { a: -0 } } }));
    expect(Object.is(record.data!['v'], 0)).toBe(true);
    expect(Object.is((record.data!['list'] as number[])[1], 0)).toBe(true);
    expect(Object.is(record.attributes!.set!['a'], 0)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['an array', [{ a: 1 }]],
    ['a string', '{"a":1}'],
    ['a number', 1],
    ['null', null],
    ['a Date', new Date()],
    ['a Map', new Map([['a', 1]])],
    ['a class instance', new Point()],
  ])('rejects data given as %s (WRONG_TYPE)', (_label, data) => {
    expect(rejected(event({ data }))).toEqual([anIssue('WRONG_TYPE', 'data')]);
  });

  it('accepts nested JSON data and keeps it as given', () => {
    const data = { url: '/home', n: 1.5, ok: true, none: null, list: [1, 'a', { b: [null] }], nested: { deep: { x: -3 } } };
    const { record } = accepted(event({ data }));
    expect(record.data).toStrictEqual(data);
  });

  it('accepts an empty data object', () => {
    expect(accepted(event({ data: {} })).record.data).toStrictEqual({});
  });

  it('accepts Object.create(null) objects inside data', () => {
    const inner = Object.assign(Object.create(null) as Input, { a: 1 });
    const { record } = accepted(event({ data: { inner } }));
    expect(record.data?.['inner']).toEqual({ a: 1 });
  });

  const circular: Record<string, unknown> = { x: 1 };
  circular['self'] = circular;
  const selfData: Record<string, unknown> = { x: 1 };
  selfData['me'] = selfData;
  const cyclicList: unknown[] = [1];
  cyclicList.push(cyclicList);

  it.each<[string, Record<string, unknown>, string]>([
    ['a function', { a: { b: () => 1 } }, 'data.a.b'],
    ['a symbol', { s: Symbol('x') }, 'data.s'],
    ['a BigInt', { n: 10n }, 'data.n'],
    ['NaN', { x: Number.NaN }, 'data.x'],
    ['Infinity', { x: Number.POSITIVE_INFINITY }, 'data.x'],
    ['-Infinity', { x: { y: Number.NEGATIVE_INFINITY } }, 'data.x.y'],
    ['a Date object', { when: new Date('2026-01-31T10:00:00Z') }, 'data.when'],
    ['a Map', { m: new Map([['a', 1]]) }, 'data.m'],
    ['a Set', { s: new Set([1]) }, 'data.s'],
    ['a class instance', { p: new Point() }, 'data.p'],
    ['a RegExp', { r: /x/ }, 'data.r'],
    ['a Uint8Array', { bytes: new Uint8Array([1, 2]) }, 'data.bytes'],
    ['a circular reference', { c: circular }, 'data.c.self'],
    ['data referring to itself', selfData, 'data.me'],
    ['an array containing itself', { l: cyclicList }, 'data.l[1]'],
    ['undefined inside an array', { list: [1, undefined, 3] }, 'data.list[1]'],
    ['a hole in a sparse array', { list: [1, , 3] }, 'data.list[1]'], // eslint-disable-line no-sparse-arrays
    ['NaN in a nested array', { m: [[1, Number.NaN]] }, 'data.m[0][1]'],
    ['a function in an array of objects', { items: [{ ok: 1 }, { f: () => 1 }] }, 'data.items[1].f'],
  ])('rejects %s inside data (NOT_JSON_VALUE at the value path)', (_label, data, path) => {
    expect(rejected(event({ data }))).toEqual([anIssue('NOT_JSON_VALUE', path)]);
  });

  it('reports every bad value inside data, each at its own path', () => {
    const errors = rejected(event({ data: { a: Number.NaN, b: [() => 1], c: { d: Symbol('s') } } }));
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([anIssue('NOT_JSON_VALUE', 'data.a'), anIssue('NOT_JSON_VALUE', 'data.b[0]'), anIssue('NOT_JSON_VALUE', 'data.c.d')]),
    );
  });

  it('accepts a value shared by two keys (a repeated reference is not a cycle)', () => {
    const shared = { x: 1 };
    const { record } = accepted(event({ data: { a: shared, b: shared, list: [shared, shared] } }));
    expect(record.data).toStrictEqual({ a: { x: 1 }, b: { x: 1 }, list: [{ x: 1 }, { x: 1 }] });
  });

  it('accepts data nested 32 levels deep (data itself is level 1)', () => {
    const { record } = accepted(event({ data: nestedObjects(32) }));
    expect(record.data).toStrictEqual(nestedObjects(32));
  });

  it('rejects data nested 33 levels deep (TOO_DEEP at the 33rd level)', () => {
    const path = `data${'.a'.repeat(32)}`;
    expect(rejected(event({ data: nestedObjects(33) }))).toEqual([anIssue('TOO_DEEP', path)]);
  });

  it('rejects data nested far deeper than 32 levels with a single TOO_DEEP', () => {
    const path = `data${'.a'.repeat(32)}`;
    expect(rejected(event({ data: nestedObjects(500) }))).toEqual([anIssue('TOO_DEEP', path)]);
  });

  it('counts arrays as nesting levels', () => {
    const arrays = (count: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < count; i++) value = [value];
      return value;
    };
    // data (level 1) + 31 arrays = 32 levels: fine; + 32 arrays = 33 levels: too deep.
    expect(accepted(event({ data: { l: arrays(31) } })).record.data).toStrictEqual({ l: arrays(31) });
    expect(rejected(event({ data: { l: arrays(32) } }))).toEqual([anIssue('TOO_DEEP', `data.l${'[0]'.repeat(31)}`)]);
  });

  it('drops keys whose value is undefined, at any depth, without touching the input', () => {
    const data = { a: 1, gone: undefined, nested: { b: 2, alsoGone: undefined }, list: [{ c: undefined, d: 3 }] };
    const { record } = accepted(event({ data }));
    expect(record.data).toStrictEqual({ a: 1, nested: { b: 2 }, list: [{ d: 3 }] });
    expect(Object.hasOwn(record.data ?? {}, 'gone')).toBe(false);
    expect(Object.keys(data)).toEqual(['a', 'gone', 'nested', 'list']);
    expect(Object.hasOwn(data.nested, 'alsoGone')).toBe(true);
  });

  it('accepts data whose only key is undefined, as an empty object', () => {
    expect(accepted(event({ data: { a: undefined } })).record.data).toStrictEqual({});
  });
});

describe('validateRecord: attribute updates', () => {
  it('accepts a full attribute update and keeps it normalised on the record', () => {
    const attributes = { set: { plan: 'pro', seats: 3 }, setOnce: { firstSource: 'ad' }, unset: ['trial'] };
    const { record } = accepted(event({ attributes }));
    expect(record.attributes).toStrictEqual(attributes);
  });

  it('accepts an empty attribute update', () => {
    expect(accepted(event({ attributes: {} })).record.attributes).toStrictEqual({});
  });

  it('drops undefined values inside set and setOnce', () => {
    const { record } = accepted(event({ attributes: { set: { a: 1, b: undefined }, setOnce: { c: undefined } } }));
    expect(record.attributes).toStrictEqual({ set: { a: 1 }, setOnce: {} });
  });

  it.each<[string, unknown]>([
    ['a string', 'plan=pro'],
    ['an array', [['plan', 'pro']]],
    ['a number', 1],
    ['null', null],
    ['a boolean', true],
  ])('rejects attributes given as %s (WRONG_TYPE at attributes)', (_label, attributes) => {
    expect(rejected(event({ attributes }))).toEqual([anIssue('WRONG_TYPE', 'attributes')]);
  });

  it.each<[string, unknown]>([
    ['a string', 'x'],
    ['an array', ['x']],
    ['a number', 1],
  ])('rejects accountAttributes given as %s (WRONG_TYPE at accountAttributes)', (_label, accountAttributes) => {
    expect(rejected(event({ accountId: 'acc-1', accountAttributes }))).toEqual([anIssue('WRONG_TYPE', 'accountAttributes')]);
  });

  const notObjects: [string, unknown][] = [
    ['a string', 'plan'],
    ['an array', [{ plan: 'pro' }]],
    ['a number', 1],
    ['null', null],
    ['a Map', new Map([['plan', 'pro']])],
  ];
  const setCases = (['set', 'setOnce'] as const).flatMap((name) => notObjects.map(([label, value]) => [name, label, value] as const));

  it.each(setCases)('rejects attributes.%s given as %s (WRONG_TYPE)', (name, _label, value) => {
    expect(rejected(event({ attributes: { [name]: value } }))).toEqual([anIssue('WRONG_TYPE', `attributes.${name}`)]);
  });

  it.each(setCases)('rejects accountAttributes.%s given as %s (WRONG_TYPE)', (name, _label, value) => {
    const input = event({ accountId: 'acc-1', accountAttributes: { [name]: value } });
    expect(rejected(input)).toEqual([anIssue('WRONG_TYPE', `accountAttributes.${name}`)]);
  });

  it.each<[string, unknown]>([
    ['a string', 'plan'],
    ['an object', { plan: true }],
    ['null', null],
    ['an array with an empty name', ['plan', '']],
    ['an array with a number', ['plan', 1]],
    ['an array with null', [null]],
    ['an array of arrays', [['plan']]],
  ])('rejects attributes.unset given as %s (WRONG_TYPE)', (_label, unset) => {
    expect(rejected(event({ attributes: { unset } }))).toEqual([anIssue('WRONG_TYPE', 'attributes.unset')]);
  });

  it('accepts an empty unset list', () => {
    expect(accepted(event({ attributes: { unset: [] } })).record.attributes).toStrictEqual({ unset: [] });
  });

  it('rejects a key that is both set and unset (CONFLICTING_UPDATE at attributes.unset)', () => {
    const input = event({ attributes: { set: { plan: 'pro', seats: 2 }, unset: ['trial', 'plan'] } });
    expect(rejected(input)).toEqual([anIssue('CONFLICTING_UPDATE', 'attributes.unset')]);
  });

  it('rejects a conflicting accountAttributes update (CONFLICTING_UPDATE at accountAttributes.unset)', () => {
    const input = event({ accountId: 'acc-1', accountAttributes: { set: { tier: 'gold' }, unset: ['tier'] } });
    expect(rejected(input)).toEqual([anIssue('CONFLICTING_UPDATE', 'accountAttributes.unset')]);
  });

  it('accepts set and unset of different keys', () => {
    const { record } = accepted(event({ attributes: { set: { plan: 'pro' }, unset: ['trial'] } }));
    expect(record.attributes).toStrictEqual({ set: { plan: 'pro' }, unset: ['trial'] });
  });

  it('does not treat a set key whose value is undefined as conflicting with unset', () => {
    const { record } = accepted(event({ attributes: { set: { plan: undefined }, unset: ['plan'] } }));
    expect(record.attributes).toStrictEqual({ set: {}, unset: ['plan'] });
  });

  it('rejects non-JSON values inside set (NOT_JSON_VALUE at attributes.set.<key>)', () => {
    expect(rejected(event({ attributes: { set: { fn: () => 1 } } }))).toEqual([anIssue('NOT_JSON_VALUE', 'attributes.set.fn')]);
  });

  it('rejects non-JSON values inside setOnce, with their nested path', () => {
    const input = event({ attributes: { setOnce: { first: { at: new Date() } } } });
    expect(rejected(input)).toEqual([anIssue('NOT_JSON_VALUE', 'attributes.setOnce.first.at')]);
  });

  it('rejects accountAttributes without an accountId (MISSING_FIELD at accountId)', () => {
    expect(rejected(event({ accountAttributes: { set: { plan: 'pro' } } }))).toEqual([anIssue('MISSING_FIELD', 'accountId')]);
  });

  it('accepts accountAttributes with an accountId', () => {
    const { record } = accepted(event({ accountId: 'acc-1', accountAttributes: { set: { plan: 'pro' } } }));
    expect(record.accountId).toBe('acc-1');
    expect(record.accountAttributes).toStrictEqual({ set: { plan: 'pro' } });
  });
});

describe('validateRecord: several problems at once', () => {
  it('reports an unknown field and a bad timestamp together', () => {
    const errors = rejected(event({ colour: 'red', timestamp: 'yesterday' }));
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(expect.arrayContaining([anIssue('UNKNOWN_FIELD', 'colour'), anIssue('INVALID_TIMESTAMP', 'timestamp')]));
  });

  it('reports problems in identifiers, data and attributes together', () => {
    const input = event({
      eventId: '',
      sessionId: 5,
      pageId: 'p\u0000',
      eventName: 'x'.repeat(300),
      data: { x: Number.NaN },
      attributes: { set: 'x', unset: 'y' },
      extra: true,
    });
    const errors = rejected(input);
    expect(errors).toHaveLength(8);
    expect(errors).toEqual(
      expect.arrayContaining([
        anIssue('EMPTY_VALUE', 'eventId'),
        anIssue('WRONG_TYPE', 'sessionId'),
        anIssue('INVALID_CHARACTER', 'pageId'),
        anIssue('TOO_LONG', 'eventName'),
        anIssue('NOT_JSON_VALUE', 'data.x'),
        anIssue('WRONG_TYPE', 'attributes.set'),
        anIssue('WRONG_TYPE', 'attributes.unset'),
        anIssue('UNKNOWN_FIELD', 'extra'),
      ]),
    );
  });

  it('reports a missing field next to a wrongly typed one', () => {
    const errors = rejected(without(event({ timestamp: 1 }), 'eventId', 'profileId'));
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([anIssue('MISSING_FIELD', 'eventId'), anIssue('MISSING_IDENTIFIER', 'profileId'), anIssue('WRONG_TYPE', 'timestamp')]),
    );
  });
});

describe('validateRecord: placeholder identifiers', () => {
  const defaults = ['anonymous', 'guest', 'null', 'undefined', '0', '-1', '[object Object]', 'NaN'];

  it('has the documented default placeholder list', () => {
    expect(new Set(DEFAULT_PLACEHOLDER_IDS)).toEqual(new Set(defaults.map((id) => id.toLowerCase())));
  });

  const cases = (['profileId', 'userId'] as const).flatMap((field) => defaults.map((value) => [field, value] as const));

  it.each(cases)('accepts %s %j with a PLACEHOLDER_IDENTIFIER warning', (field, value) => {
    const { record, warnings } = accepted(event({ profileId: undefined, [field]: value }));
    expect(record[field]).toBe(value);
    expect(warnings).toEqual([anIssue('PLACEHOLDER_IDENTIFIER', field)]);
  });

  it.each([' Anonymous ', 'ANONYMOUS', 'Guest', '\tnull\n', ' NAN', '[OBJECT OBJECT]'])(
    'recognises %j case-insensitively and after trimming, keeping the value as given',
    (value) => {
      const { record, warnings } = accepted(event({ profileId: value }));
      expect(record.profileId).toBe(value);
      expect(warnings).toEqual([anIssue('PLACEHOLDER_IDENTIFIER', 'profileId')]);
    },
  );

  it('warns once per placeholder identifier when both are placeholders', () => {
    const { warnings } = accepted(event({ profileId: 'anonymous', userId: 'null' }));
    expect(warnings).toHaveLength(2);
    expect(warnings).toEqual(expect.arrayContaining([anIssue('PLACEHOLDER_IDENTIFIER', 'profileId'), anIssue('PLACEHOLDER_IDENTIFIER', 'userId')]));
  });

  it('warns only about the placeholder one of two identifiers', () => {
    const { warnings } = accepted(event({ profileId: 'guest', userId: 'user-42' }));
    expect(warnings).toEqual([anIssue('PLACEHOLDER_IDENTIFIER', 'profileId')]);
  });

  it.each(['user-42', 'anonymous-1', 'guest2', '00', '1', 'nil'])('gives no warning for the ordinary id %j', (value) => {
    expect(accepted(event({ profileId: value, userId: value })).warnings).toEqual([]);
  });

  it('does not check other identifiers for placeholders', () => {
    const input = event({ eventId: 'null', sessionId: 'anonymous', accountId: '0', pageId: 'undefined', eventName: 'guest' });
    expect(accepted(input).warnings).toEqual([]);
  });

  it('honours a custom placeholder set instead of the defaults', () => {
    const custom: ValidationContext = { placeholders: new Set(['visitor', 'n/a']) };
    expect(accepted(event({ profileId: ' Visitor ' }), custom).warnings).toEqual([anIssue('PLACEHOLDER_IDENTIFIER', 'profileId')]);
    expect(accepted(event({ userId: 'N/A' }), custom).warnings).toEqual([anIssue('PLACEHOLDER_IDENTIFIER', 'userId')]);
    expect(accepted(event({ profileId: 'anonymous' }), custom).warnings).toEqual([]);
  });

  it('gives no warnings with an empty placeholder set', () => {
    expect(accepted(event({ profileId: 'anonymous' }), { placeholders: new Set() }).warnings).toEqual([]);
  });

  it('gives no warnings for a rejected record (only errors)', () => {
    const result = validateRecord(event({ profileId: 'anonymous', timestamp: 'yesterday' }), ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([anIssue('INVALID_TIMESTAMP', 'timestamp')]);
  });

  it('warns about placeholder identifiers on product payloads too', () => {
    const { record, warnings } = accepted(product({ profileId: 'anonymous' }));
    expect(record.kind).toBe('product');
    expect(warnings).toEqual([anIssue('PLACEHOLDER_IDENTIFIER', 'profileId')]);
  });
});

describe('validateRecord: product payloads', () => {
  it('accepts the SPEC example as a product record', () => {
    const { record, warnings } = accepted({ productId: '123', data: { name: 'Wine', amount: 150, quantity: 4 } });
    expect(record).toStrictEqual({
      kind: 'product',
      eventId: '',
      time: Number.NaN,
      productId: '123',
      data: { name: 'Wine', amount: 150, quantity: 4 },
    });
    expect(warnings).toEqual([]);
  });

  it('leaves time as NaN when no timestamp is given', () => {
    expect(Number.isNaN(accepted(product()).record.time)).toBe(true);
  });

  it('does not require eventId, timestamp, profileId, userId, sessionId or eventName', () => {
    const { record } = accepted({ productId: 'sku-1', data: {} });
    expect(record.kind).toBe('product');
    for (const key of ['profileId', 'userId', 'sessionId', 'eventName', 'accountId', 'pageId']) {
      expect(Object.hasOwn(record, key)).toBe(false);
    }
  });

  it('keeps the optional fields a product payload does carry', () => {
    const input = product({
      eventId: 'p-evt-1',
      timestamp: '2026-01-31T12:00:00+02:00',
      profileId: 'prof-1',
      userId: 'user-1',
      sessionId: 'sess-1',
      accountId: 'acc-1',
      pageId: 'page-1',
      eventName: 'catalog_update',
    });
    const { record } = accepted(input);
    expect(record).toStrictEqual({
      kind: 'product',
      eventId: 'p-evt-1',
      time: Date.parse('2026-01-31T10:00:00Z'),
      profileId: 'prof-1',
      userId: 'user-1',
      sessionId: 'sess-1',
      accountId: 'acc-1',
      pageId: 'page-1',
      eventName: 'catalog_update',
      productId: '123',
      data: { name: 'Wine', amount: 150, quantity: 4 },
    });
  });

  it('validates the optional fields a product payload carries', () => {
    const errors = rejected(product({ timestamp: '2026-02-30T00:00:00Z', sessionId: '' }));
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(expect.arrayContaining([anIssue('INVALID_TIMESTAMP', 'timestamp'), anIssue('EMPTY_VALUE', 'sessionId')]));
  });

  it.each<[string, unknown]>([
    ['an array', [{ name: 'Wine' }]],
    ['a string', 'Wine'],
    ['null', null],
  ])('rejects product data given as %s (WRONG_TYPE)', (_label, data) => {
    expect(rejected(product({ data }))).toEqual([anIssue('WRONG_TYPE', 'data')]);
  });

  it('rejects non-JSON values in product data', () => {
    expect(rejected(product({ data: { price: Number.NaN } }))).toEqual([anIssue('NOT_JSON_VALUE', 'data.price')]);
  });

  it('rejects unknown top-level fields on a product payload', () => {
    expect(rejected(product({ name: 'Wine' }))).toEqual([anIssue('UNKNOWN_FIELD', 'name')]);
  });

  it('treats a record with an explicitly undefined productId as an event', () => {
    const { record } = accepted(event({ productId: undefined }));
    expect(record.kind).toBe('event');
    expect(Object.hasOwn(record, 'productId')).toBe(false);
  });
});

describe('validateRecord: the normalised event record', () => {
  it('holds kind, identifiers and time in epoch ms, and nothing else for a minimal event', () => {
    const { record, warnings } = accepted(event());
    expect(record).toStrictEqual({
      kind: 'event',
      eventId: 'evt-1',
      time: Date.parse('2026-01-31T10:00:00Z'),
      profileId: 'prof-1',
      sessionId: 'sess-1',
      eventName: 'page_view',
    });
    expect(Object.keys(record).sort()).toEqual(['eventId', 'eventName', 'kind', 'profileId', 'sessionId', 'time']);
    expect(warnings).toEqual([]);
  });

  it('does not keep the raw timestamp string', () => {
    expect(Object.hasOwn(accepted(event()).record, 'timestamp')).toBe(false);
  });

  it('leaves explicitly undefined optional fields out of the record', () => {
    const input = event({ userId: undefined, accountId: undefined, pageId: undefined, data: undefined, attributes: undefined, accountAttributes: undefined });
    const { record } = accepted(input);
    expect(Object.keys(record).sort()).toEqual(['eventId', 'eventName', 'kind', 'profileId', 'sessionId', 'time']);
  });

  it('holds every optional field of a full event', () => {
    const input = event({
      userId: 'user-1',
      accountId: 'acc-1',
      pageId: 'page-1',
      timestamp: '2026-01-31T11:00:00.250+01:00',
      data: { url: '/cart', amount: 99.5 },
      attributes: { set: { plan: 'pro' } },
      accountAttributes: { setOnce: { createdVia: 'sdk' } },
    });
    const { record } = accepted(input);
    expect(record).toStrictEqual({
      kind: 'event',
      eventId: 'evt-1',
      time: Date.parse('2026-01-31T10:00:00.250Z'),
      profileId: 'prof-1',
      userId: 'user-1',
      sessionId: 'sess-1',
      accountId: 'acc-1',
      pageId: 'page-1',
      eventName: 'page_view',
      data: { url: '/cart', amount: 99.5 },
      attributes: { set: { plan: 'pro' } },
      accountAttributes: { setOnce: { createdVia: 'sdk' } },
    });
  });

  it('gives the same result for the same input twice (no state between calls)', () => {
    const input = event({ data: { a: [1, 2] } });
    expect(validateRecord(input, ctx)).toStrictEqual(validateRecord(input, ctx));
  });
});

describe('validateRecord: never throws (property)', () => {
  const SEED = 20260131;
  const CODES = new Set<string>([
    'NOT_AN_OBJECT',
    'MISSING_FIELD',
    'MISSING_IDENTIFIER',
    'WRONG_TYPE',
    'EMPTY_VALUE',
    'TOO_LONG',
    'INVALID_CHARACTER',
    'INVALID_TIMESTAMP',
    'UNKNOWN_FIELD',
    'NOT_ALLOWED',
    'NOT_JSON_VALUE',
    'TOO_DEEP',
    'CONFLICTING_UPDATE',
    'PLACEHOLDER_IDENTIFIER',
  ]);

  function isWellFormedIssue(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const { code, path, message } = value as Record<string, unknown>;
    return typeof code === 'string' && CODES.has(code) && typeof path === 'string' && typeof message === 'string' && message.trim() !== '';
  }

  /** Throws (so fast-check reports the input) unless validateRecord answers in one of its two shapes. */
  function checkShape(input: unknown): void {
    const result = validateRecord(input, ctx);
    if (result.ok) {
      expect(['event', 'product']).toContain(result.record.kind);
      expect(typeof result.record.eventId).toBe('string');
      expect(typeof result.record.time).toBe('number');
      expect(Array.isArray(result.warnings)).toBe(true);
      for (const warning of result.warnings) expect(isWellFormedIssue(warning)).toBe(true);
    } else {
      expect(result.errors.length).toBeGreaterThanOrEqual(1);
      for (const error of result.errors) expect(isWellFormedIssue(error)).toBe(true);
    }
  }

  const anything = hostileAnything();

  it(`answers ok or errors for fc.anything() inputs (seed ${SEED})`, () => {
    fc.assert(
      fc.property(anything, (input) => checkShape(input)),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`answers ok or errors for record-like inputs with random field values (seed ${SEED})`, () => {
    const field = fc.oneof(fc.string(), fc.constantFrom('anonymous', ' ', 'x'.repeat(257), '2026-01-31T10:00:00Z'), anything);
    const recordLike = fc.record(
      {
        eventId: field,
        profileId: field,
        userId: field,
        sessionId: field,
        accountId: field,
        pageId: field,
        eventName: field,
        productId: field,
        timestamp: fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          anything,
        ),
        data: anything,
        attributes: fc.oneof(fc.record({ set: anything, setOnce: anything, unset: anything }, { requiredKeys: [] }), anything),
        accountAttributes: fc.oneof(fc.record({ set: anything, setOnce: anything, unset: anything }, { requiredKeys: [] }), anything),
        unknown: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(recordLike, (input) => checkShape(input)),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`accepts any JSON object as data and keeps it unchanged (-0 as 0), keys named __proto__ escaped for storage (seed ${SEED})`, () => {
    const data = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 8 }));
    fc.assert(
      fc.property(data, (value) => {
        const result = validateRecord(event({ data: value }), ctx);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        if (result.record.keysEscaped === true) expect(JSON.stringify(unescapeKeys(result.record.data))).toBe(JSON.stringify(value));
        // JSON text gives -0 as 0; toEqual still tells -0 from 0, and ignores the null prototypes fast-check makes.
        else expect(result.record.data).toEqual(JSON.parse(JSON.stringify(value)));
        expect(result.record.keysEscaped === true).toBe(hasEscapableKeys(value));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
