// A unified profile's session count without its sessions in hot state: the states count theirs and keep them in
// session sets beside them (read only when a merge needs them), the partials list theirs.

import { hasSorted, unionSorted } from './sorted-set.js';

/** A state's sessions that it counts but does not list: the key of its session set and their number. */
export interface HiddenSessions {
  key: string;
  count: number;
}

/** Session sets as stored (sorted; empty when there is none). */
export interface SessionSetReader {
  sessionSet(key: string): readonly string[];
}

/**
 * The number of distinct sessions of a merge: those it lists (`listed`, sorted) and those of the hidden sets of
 * the states in it. The usual cases read at most one set, and only when there are listed sessions to check.
 */
export function sessionCountOf(listed: readonly string[], hidden: readonly HiddenSessions[], setOf: SessionSetReader): number {
  if (hidden.length === 0) return listed.length;
  if (hidden.length > 1) return sessionsOf(listed, hidden, setOf).length;
  const { key, count } = hidden[0]!;
  if (listed.length === 0) return count;
  return count + missingFrom(setOf.sessionSet(key), listed);
}

/** How many of `listed` (sorted) `set` (sorted) lacks: looked up one by one when they are few, else in one walk. */
function missingFrom(set: readonly string[], listed: readonly string[]): number {
  let missing = 0;
  if (listed.length * 16 < set.length) {
    for (const session of listed) if (!hasSorted(set, session)) missing++;
    return missing;
  }
  let at = 0;
  for (const session of listed) {
    while (at < set.length && set[at]! < session) at++;
    if (set[at] !== session) missing++;
  }
  return missing;
}

/** Every session of a merge, sorted: the listed ones and each hidden set's. */
export function sessionsOf(listed: readonly string[], hidden: readonly HiddenSessions[], setOf: SessionSetReader): string[] {
  let all = listed as string[];
  for (const { key } of hidden) all = unionSorted(all, setOf.sessionSet(key));
  return all === listed ? [...listed] : all;
}
