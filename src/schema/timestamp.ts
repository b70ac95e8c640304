// Parses ISO-8601 date-times with a zone into epoch ms, rejecting impossible calendar dates.

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * Returns epoch milliseconds for an ISO-8601 date-time that names a zone
 * (`Z` or `±hh:mm`) and a real calendar instant, or a reason it is not one.
 * Fractions finer than a millisecond are truncated.
 */
export function parseTimestamp(text: string): number | string {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) {
    return /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?$/.test(text)
      ? 'has no zone: add Z or an offset such as +02:00'
      : 'is not an ISO-8601 date-time such as 2026-01-31T10:00:00Z';
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12) return `has month ${m[2]}, which does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) return `has day ${m[3]}, which month ${m[2]} of ${m[1]} does not have`;
  if (hour > 23 || minute > 59 || second > 59) return 'has a time of day that does not exist';
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offH = Number(m[10]);
    const offM = Number(m[11]);
    if (offH > 23 || offM > 59) return 'has an offset that does not exist';
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000;
}
