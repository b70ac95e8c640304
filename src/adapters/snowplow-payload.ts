// Decoding Snowplow tracker-protocol fields: base64url or plain self-describing JSON (ue_px/ue_pr, cx/co).

import { issue, describeType, type Issue } from '../schema/issues.js';
import type { JsonObject } from '../schema/json-value.js';
import { isObject } from './common.js';

/** A self-describing JSON: an Iglu schema URI and its data. */
export interface SelfDescribing {
  schema: string;
  data: JsonObject;
}

/**
 * Reads the envelope in `plainKey` (plain JSON) or `base64Key` (base64url, standard base64 also read) and returns
 * its `data`: the unstructured event's self-describing JSON, or the list of context entities.
 */
export function readEnvelope(params: Record<string, unknown>, plainKey: string, base64Key: string, issues: Issue[]): unknown {
  const plain = params[plainKey];
  const encoded = params[base64Key];
  let text: string;
  let path: string;
  if (typeof plain === 'string') [text, path] = [plain, plainKey];
  else if (typeof encoded === 'string') [text, path] = [Buffer.from(encoded, 'base64url').toString('utf8'), base64Key];
  else if (plain === undefined && encoded === undefined) return undefined;
  else {
    const key = plain === undefined ? base64Key : plainKey;
    issues.push(issue('WRONG_TYPE', key, `must be a string, not ${describeType(params[key])}`));
    return undefined;
  }
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch (err) {
    issues.push(issue('INVALID_JSON', path, `not ${path === base64Key ? 'base64url-encoded ' : ''}JSON: ${(err as Error).message}`));
    return undefined;
  }
  if (!isObject(envelope) || typeof envelope['schema'] !== 'string' || envelope['data'] === undefined) {
    issues.push(issue('WRONG_TYPE', path, 'must be a self-describing JSON: { "schema": "iglu:…", "data": … }'));
    return undefined;
  }
  return envelope['data'];
}

/** A self-describing JSON, or an issue at `path`. */
export function asSelfDescribing(value: unknown, path: string, issues: Issue[]): SelfDescribing | undefined {
  if (isObject(value) && typeof value['schema'] === 'string' && isObject(value['data'])) return value as unknown as SelfDescribing;
  issues.push(issue('WRONG_TYPE', path, 'must be a self-describing JSON: { "schema": "iglu:…", "data": { … } }'));
  return undefined;
}

/** The parts of an Iglu URI `iglu:vendor/name/format/version`. */
export function schemaName(uri: string): { vendor: string; name: string } | undefined {
  const match = /^iglu:([^/]+)\/([^/]+)\/[^/]+\/[^/]+$/.exec(uri);
  return match === null ? undefined : { vendor: match[1]!, name: match[2]! };
}
