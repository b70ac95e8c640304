// Change-feed positions: the log's sequence number as a decimal string, parsed and checked at the API boundary.

import { errors } from '../errors.js';

/**
 * Where a change sits in the log. Opaque to callers: compare positions only through the feed (a later change
 * has a later position), store them, and hand one back as `after`. Today it is the record's sequence number as
 * a decimal string (`"1"`, `"2"`, …), which the log keys by and never renumbers.
 */
export type ChangePosition = string;

/** The position before the first record: `after: START` reads the whole log. */
export const START_POSITION: ChangePosition = '0';

export function positionOf(seq: number): ChangePosition {
  return String(seq);
}

/** Reads `after` (a position, or its number) into a sequence number; `undefined` is the log's start. */
export function seqOfPosition(after: unknown, name = 'after'): number {
  if (after === undefined || after === null) return 0;
  const text = typeof after === 'number' ? String(after) : after;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) {
    throw errors.invalidArgument(name, `must be a position as the change feed gives it (a decimal string such as "42"), not ${JSON.stringify(after)}`);
  }
  return Number(text);
}
