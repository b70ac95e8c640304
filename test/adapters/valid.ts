// Shared by the adapter tests: every record an adapter makes must pass eventdb's own validation.

import { expect } from 'vitest';
import { DEFAULT_PLACEHOLDER_IDS } from '../../src/options.js';
import { validateRecord } from '../../src/schema/validate.js';

const CONTEXT = { placeholders: new Set(DEFAULT_PLACEHOLDER_IDS) };

/** Fails with the record and its issues when validation rejects it. */
export function expectValid(records: readonly unknown[]): void {
  for (const record of records) {
    const validation = validateRecord(record, CONTEXT);
    expect(validation.ok ? [] : validation.errors, JSON.stringify(record)).toEqual([]);
  }
}
