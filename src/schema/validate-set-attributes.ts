// Validates a setAttributes call (target and update) into an attribute record for the log.

import { describeType, issue, loneSurrogate, type Issue } from './issues.js';
import type { NormalizedRecord, Validation } from './record.js';
import { checkIdentifier, isPlaceholder, isPlainObject, readTimestamp, validateAttributeUpdate, type Size, type ValidationContext } from './validate.js';

const TARGETS = ['profileId', 'userId', 'accountId'] as const;
const UPDATE_FIELDS = new Set(['set', 'setOnce', 'unset', 'timestamp', 'source', 'eventId']);
const MAX_SOURCE_LENGTH = 64;

/**
 * `target` is `{ profileId } | { userId } | { accountId }`; `update` is
 * `{ set?, setOnce?, unset?, timestamp?, source?, eventId? }`. Never throws.
 */
export function validateSetAttributes(target: unknown, update: unknown, ctx: ValidationContext): Validation {
  try {
    const errors: Issue[] = [];
    const record: NormalizedRecord = { kind: 'attributes', eventId: '', time: Number.NaN, source: 'api' };
    readTarget(target, record, ctx, errors);
    readUpdate(update, record, errors, ctx);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, record, warnings: [] };
  } catch (err) {
    return { ok: false, errors: [issue('NOT_JSON_VALUE', '', `reading the call threw: ${String((err as Error)?.message ?? err)}`)] };
  }
}

function readTarget(target: unknown, record: NormalizedRecord, ctx: ValidationContext, errors: Issue[]): void {
  if (!isPlainObject(target)) {
    errors.push(issue('WRONG_TYPE', 'target', `target must be { profileId }, { userId } or { accountId }, got ${describeType(target)}`));
    return;
  }
  const fields = target as Record<string, unknown>;
  const named = Object.keys(fields).filter((key) => fields[key] !== undefined);
  for (const key of named) {
    if (!(TARGETS as readonly string[]).includes(key)) errors.push(issue('UNKNOWN_FIELD', `target.${key}`, `unknown target field "${key}"`));
  }
  const given = TARGETS.filter((key) => fields[key] !== undefined);
  if (given.length !== 1) {
    errors.push(issue('MISSING_IDENTIFIER', 'target', 'target must name exactly one of profileId, userId or accountId'));
    return;
  }
  const name = given[0]!;
  const problem = checkIdentifier(fields[name], `target.${name}`);
  if (problem !== undefined) {
    errors.push(problem);
    return;
  }
  const value = fields[name] as string;
  if (name !== 'accountId' && isPlaceholder(value, ctx.placeholders)) {
    errors.push(issue('PLACEHOLDER_IDENTIFIER', `target.${name}`, `${name} "${value}" is a placeholder and identifies nobody`));
    return;
  }
  record[name] = value;
}

function readUpdate(update: unknown, record: NormalizedRecord, errors: Issue[], ctx: ValidationContext): void {
  const sized: Size = { size: 0, escape: false };
  if (!isPlainObject(update)) {
    errors.push(issue('WRONG_TYPE', 'update', `update must be { set?, setOnce?, unset?, timestamp?, source?, eventId? }, got ${describeType(update)}`));
    return;
  }
  const fields = update as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!UPDATE_FIELDS.has(key)) errors.push(issue('UNKNOWN_FIELD', key, `unknown field "${key}"; use set, setOnce, unset, timestamp, source or eventId`));
  }
  const changes = validateAttributeUpdate({ set: fields['set'], setOnce: fields['setOnce'], unset: fields['unset'] }, 'update', errors, ctx.limits, sized);
  if (sized.escape) record.keysEscaped = true;
  if (changes !== undefined) {
    if (record.accountId !== undefined) record.accountAttributes = changes;
    else record.attributes = changes;
  }
  readTimestamp(fields['timestamp'], record, errors);
  readSource(fields['source'], record, errors);
  if (fields['eventId'] !== undefined) {
    const problem = checkIdentifier(fields['eventId'], 'eventId');
    if (problem === undefined) record.eventId = fields['eventId'] as string;
    else errors.push(problem);
  }
}

function readSource(value: unknown, record: NormalizedRecord, errors: Issue[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_SOURCE_LENGTH) {
    errors.push(issue('WRONG_TYPE', 'source', `source must be a non-empty string of at most ${MAX_SOURCE_LENGTH} characters, such as "crm"`));
    return;
  }
  if (!value.isWellFormed()) {
    errors.push(loneSurrogate('source', 'source'));
    return;
  }
  record.source = value;
}
