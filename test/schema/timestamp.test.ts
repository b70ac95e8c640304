// Unit tests for parseTimestamp: ISO-8601 date-times with a zone to epoch ms, or a reason they are not one.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../src/schema/timestamp.js';

/** The epoch ms of a timestamp that must parse. */
function ms(text: string): number {
  const result = parseTimestamp(text);
  if (typeof result !== 'number') throw new Error(`expected ${JSON.stringify(text)} to parse, got the reason "${result}"`);
  return result;
}

/** The reason a timestamp that must not parse is rejected. */
function reason(text: string): string {
  const result = parseTimestamp(text);
  if (typeof result !== 'string') throw new Error(`expected ${JSON.stringify(text)} to be rejected, got ${result}`);
  return result;
}

describe('parseTimestamp: accepted forms', () => {
  it.each([
    // the common SDK forms (fast path)
    ['2026-01-31T10:00:00Z', Date.UTC(2026, 0, 31, 10, 0, 0)],
    ['2026-01-31T10:00:00.123Z', Date.UTC(2026, 0, 31, 10, 0, 0, 123)],
    ['1970-01-01T00:00:00Z', 0],
    ['1970-01-01T00:00:00.001Z', 1],
    ['1969-12-31T23:59:59.999Z', -1],
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
    // other forms (general path)
    ['2026-01-31T10:00:00+00:00', Date.UTC(2026, 0, 31, 10)],
    ['2026-01-31T10:00:00-00:00', Date.UTC(2026, 0, 31, 10)],
    ['2026-01-31T12:00:00+02:00', Date.UTC(2026, 0, 31, 10)],
    ['2026-01-31T15:45:00+05:45', Date.UTC(2026, 0, 31, 10)],
    ['2026-01-31T05:00:00-05:00', Date.UTC(2026, 0, 31, 10)],
    ['2026-01-31T06:30:00-03:30', Date.UTC(2026, 0, 31, 10)],
    ['2025-12-31T23:30:00-01:00', Date.UTC(2026, 0, 1, 0, 30)], // crosses into the next year
    ['2026-01-01T00:30:00+01:00', Date.UTC(2025, 11, 31, 23, 30)], // crosses into the previous year
    ['2026-03-01T01:00:00+02:00', Date.UTC(2026, 1, 28, 23)], // crosses back into February
    ['2026-01-31T10:00:00.5+01:00', Date.UTC(2026, 0, 31, 9, 0, 0, 500)],
    ['2026-01-31t10:00:00z', Date.UTC(2026, 0, 31, 10)],
    ['2026-01-31t10:00:00.123z', Date.UTC(2026, 0, 31, 10, 0, 0, 123)],
    ['2026-01-31T10:00Z', Date.UTC(2026, 0, 31, 10)], // seconds are optional in ISO-8601
  ])('parses %j', (text, expected) => {
    expect(ms(text)).toBe(expected);
  });

  it.each([
    ['2026-01-31T10:00:00.1Z', 100],
    ['2026-01-31T10:00:00.12Z', 120],
    ['2026-01-31T10:00:00.123Z', 123],
    ['2026-01-31T10:00:00.1234Z', 123],
    ['2026-01-31T10:00:00.123456Z', 123],
    ['2026-01-31T10:00:00.999999999Z', 999], // truncated, never rounded up to the next second
    ['2026-01-31T10:00:00.000Z', 0],
  ])('reads the fraction of %j as %i ms (truncated)', (text, fraction) => {
    expect(ms(text)).toBe(Date.UTC(2026, 0, 31, 10) + fraction);
  });

  it.each([
    ['2026-01-31T10:00:00,5Z', 500],
    ['2026-01-31T10:00:00,123Z', 123],
    ['2026-01-31T10:00:00,123456+00:00', 123],
  ])('accepts a comma decimal separator in %j', (text, fraction) => {
    expect(ms(text)).toBe(Date.UTC(2026, 0, 31, 10) + fraction);
  });

  it('reads a comma and a dot fraction the same way', () => {
    expect(ms('2026-01-31T10:00:00,250-03:00')).toBe(ms('2026-01-31T10:00:00.250-03:00'));
  });

  it('parses year 0000 (proleptic Gregorian)', () => {
    expect(ms('0000-01-01T00:00:00Z')).toBe(-62167219200000);
    expect(ms('0000-01-01T00:00:00Z')).toBe(Date.parse('0000-01-01T00:00:00.000Z'));
  });

  it('parses year 0000 through the general path too', () => {
    expect(ms('0000-01-01T01:00:00+01:00')).toBe(-62167219200000);
  });

  it('parses year 9999', () => {
    expect(ms('9999-12-31T23:59:59.999Z')).toBe(253402300799999);
    expect(ms('9999-12-31T23:59:59.999Z')).toBe(Date.parse('9999-12-31T23:59:59.999Z'));
  });

  it('accepts 0000-02-29 (year 0 is divisible by 400, so a leap year)', () => {
    expect(ms('0000-02-29T00:00:00Z')).toBe(Date.parse('0000-02-29T00:00:00.000Z'));
  });

  it.each(['2000-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '1600-02-29T12:00:00Z', '2000-02-29T00:00:00+01:00'])('accepts the leap day %j', (text) => {
    expect(ms(text)).toBe(new Date(text).getTime());
  });

  it('returns a number (not a Date or string) for a valid timestamp', () => {
    expect(typeof parseTimestamp('2026-01-31T10:00:00Z')).toBe('number');
    expect(typeof parseTimestamp('2026-01-31T10:00:00+02:00')).toBe('number');
  });
});

describe('parseTimestamp: rejected forms', () => {
  it.each([
    '1900-02-29T00:00:00Z', // 1900 is divisible by 100 but not 400
    '1900-02-29T00:00:00+00:00',
    '2100-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-06-31T10:00:00.000Z',
    '2026-09-31T10:00:00+02:00',
    '2026-11-31T10:00:00Z',
    '2026-01-32T10:00:00Z',
    '2026-01-00T10:00:00Z',
  ])('rejects the impossible date %j', (text) => {
    expect(reason(text)).toMatch(/day/);
  });

  it.each(['2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z', '2026-13-01T00:00:00+01:00', '2026-99-01t00:00:00z'])('rejects the impossible month %j', (text) => {
    expect(reason(text)).toMatch(/month/);
  });

  it.each([
    '2026-01-01T24:00:00Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T10:60:00Z',
    '2026-01-01T10:00:60Z', // no leap seconds
    '2026-01-01T10:00:60+01:00',
    '2026-01-01T99:00:00z',
  ])('rejects the impossible time of day %j', (text) => {
    expect(reason(text)).toMatch(/time of day/);
  });

  it.each(['2026-01-01T10:00:00+25:00', '2026-01-01T10:00:00+24:00', '2026-01-01T10:00:00-02:60', '2026-01-01T10:00:00+99:99'])(
    'rejects the impossible offset %j',
    (text) => {
      expect(reason(text)).toMatch(/offset/);
    },
  );

  it.each(['2026-01-01T10:00:00', '2026-01-01T10:00', '2026-01-01T10:00:00.123', '2026-01-01t10:00:00,5'])(
    'rejects %j because it has no zone, and says so',
    (text) => {
      expect(reason(text)).toMatch(/zone/);
    },
  );

  it.each([
    'yesterday',
    '',
    '2026-01-01',
    '2026-01-01 10:00:00Z',
    '2026-01-01T10:00:00 Z',
    ' 2026-01-01T10:00:00Z',
    '2026-01-01T10:00:00Z ',
    '2026-01-01T10:00:00ZZ',
    '2026-1-01T10:00:00Z',
    '26-01-01T10:00:00Z',
    '+002026-01-01T10:00:00Z',
    '2026-01-01T10:00:00.Z',
    '2026-01-01T10:00:00.1234567890Z', // more than nine fraction digits
    '2026-01-01T10:00:00+02',
    '2026-01-01T10:00:00+2:00',
    '2026-01-01T10:00:00UTC',
    '2026-01-01T10:00:00GMT+1',
    '2026-01-31T10:00:00-0500Z',
    '2026-01-01T1O:00:00Z', // letter O
    '2026-01-31T10:00:00.12xZ',
    '2026/01/31T10:00:00Z',
    'Sat, 31 Jan 2026 10:00:00 GMT',
    '1769853600000',
    '2026-０１-31T10:00:00Z', // full-width digits in the month
  ])('rejects the non-ISO text %j', (text) => {
    expect(reason(text)).toMatch(/\S/);
  });

  // The regex-free fast path must send a non-digit year to the general parser, not return NaN.
  for (const text of ['202X-01-31T10:00:00Z', ' 026-01-31T10:00:00Z', '-999-01-01T00:00:00Z', '20.6-02-01T00:00:00.000Z', '２０２６-01-31T10:00:00Z']) {
    it(`rejects the non-digit year in ${JSON.stringify(text)}`, () => {
      expect(typeof parseTimestamp(text)).toBe('string');
    });
  }
});

describe('parseTimestamp: the fast path and the general path agree', () => {
  it.each([
    ['2026-01-31T10:00:00.123Z', '2026-01-31T10:00:00.123+00:00'],
    ['2026-01-31T10:00:00Z', '2026-01-31T10:00:00+00:00'],
    ['2026-01-31T10:00:00Z', '2026-01-31T10:00:00.000-00:00'],
    ['2026-01-31T10:00:00Z', '2026-01-31t10:00:00z'],
    ['2026-01-31T10:00:00.123Z', '2026-01-31T10:00:00,123Z'],
    ['2026-01-31T10:00:00.123Z', '2026-01-31T10:00:00.123000Z'],
    ['2024-02-29T23:59:59.999Z', '2024-03-01T01:59:59.999+02:00'],
    ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00+00:00'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999+00:00'],
  ])('%j and %j give the same instant', (fast, general) => {
    expect(ms(fast)).toBe(ms(general));
  });

  it.each([
    ['2026-02-30T10:00:00Z', '2026-02-30T10:00:00+00:00'],
    ['1900-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000+00:00'],
    ['2026-01-01T24:00:00Z', '2026-01-01T24:00:00+00:00'],
  ])('%j and %j are both rejected', (fast, general) => {
    expect(typeof parseTimestamp(fast)).toBe('string');
    expect(typeof parseTimestamp(general)).toBe('string');
  });
});

describe('parseTimestamp: properties', () => {
  const SEED = 424242;
  // Years 0001..9998 so that shifting by an offset of up to ±23:59 stays within four-digit years.
  const dates = fc.date({
    min: new Date('0001-01-02T00:00:00.000Z'),
    max: new Date('9998-12-30T23:59:59.999Z'),
    noInvalidDate: true,
  });

  it(`round-trips Date.toISOString() for years 0001..9998 (seed ${SEED})`, () => {
    fc.assert(
      fc.property(dates, (date) => {
        expect(parseTimestamp(date.toISOString())).toBe(date.getTime());
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`agrees with Date.parse on the same instant written with +00:00, lowercase or a comma (seed ${SEED})`, () => {
    fc.assert(
      fc.property(dates, (date) => {
        const iso = date.toISOString(); // the fast-path form
        const expected = date.getTime();
        expect(parseTimestamp(iso.replace('Z', '+00:00'))).toBe(expected);
        expect(parseTimestamp(iso.replace('T', 't').replace('Z', 'z'))).toBe(expected);
        expect(parseTimestamp(iso.replace('.', ','))).toBe(expected);
        expect(parseTimestamp(iso.replace('Z', '999Z'))).toBe(expected); // extra digits are truncated
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`gives the same instant for any offset written as local time ±hh:mm (seed ${SEED})`, () => {
    const offsets = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    fc.assert(
      fc.property(dates, offsets, (date, offsetMinutes) => {
        const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
        const abs = Math.abs(offsetMinutes);
        const zone = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        expect(parseTimestamp(local + zone)).toBe(date.getTime());
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`never throws, and answers a finite number or a non-empty reason, for random strings (seed ${SEED})`, () => {
    const texts = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,4})?(Z|[+-]\d{2}:\d{2})?$/),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const result = parseTimestamp(text);
        if (typeof result === 'number') expect(Number.isFinite(result)).toBe(true);
        else expect(result.trim()).not.toBe('');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`accepts exactly the well-formed texts that Date.parse also reads as the same instant (seed ${SEED})`, () => {
    const texts = fc.stringMatching(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{3})?(Z|[+-](0\d|1[0-3]):[0-5]\d)$/);
    fc.assert(
      fc.property(texts, (text) => {
        const result = parseTimestamp(text);
        const [, y, mo, d] = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? [];
        // 2000 is a leap year, so this says whether the month has the day in some year.
        const exists = new Date(Date.UTC(2000, Number(mo) - 1, Number(d))).getUTCDate() === Number(d);
        const leap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
        const real = exists && !(mo === '02' && d === '29' && !leap(Number(y)));
        if (real) expect(result).toBe(Date.parse(text));
        else expect(typeof result).toBe('string');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('formatTimestamp', () => {
  it('formats exactly as Date#toISOString, over four-digit years and beyond', () => {
    const seed = Date.now();
    console.log(`formatTimestamp property seed ${seed}`);
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -30_610_224_001_000, max: 253_402_300_801_000 }), fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 })),
        (ms) => {
          expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
        },
      ),
      { seed, numRuns: 5000 },
    );
    for (const ms of [0, -1, 86_399_999, 951_782_400_000, 253_402_300_799_999, -30_610_224_000_000, -30_610_224_000_001]) {
      expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
