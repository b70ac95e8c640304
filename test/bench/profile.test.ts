// The profile summary's steps of the writer: inclusive time, a nested step counted in its parent too, recursion once.

import { describe, expect, it } from 'vitest';
import { summariseProfile } from '../../bench/profile.js';

const frame = (functionName: string, file: string): { functionName: string; url: string; lineNumber: number } => ({
  functionName,
  url: file === '' ? '' : `file:///repo${file}`,
  lineNumber: 0,
});

describe('summariseProfile', () => {
  it('counts the time inside each step of the writer, a step nested in another in both, a recursive call once', () => {
    const nodes = [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 7] },
      { id: 2, callFrame: frame('stage', '/src/ingest/batch-writer.ts'), children: [3, 4] },
      { id: 3, callFrame: frame('apply', '/src/projections/projector.ts'), children: [5] },
      { id: 4, callFrame: frame('writeCheckpoint', '/src/storage/derived-store.ts'), children: [] },
      { id: 5, callFrame: frame('storedPartial', '/src/storage/derived-store.ts'), children: [6] },
      { id: 6, callFrame: frame('apply', '/src/projections/projector.ts'), children: [] },
      // Same name, another file: not the fold.
      { id: 7, callFrame: frame('apply', '/src/catalog/catalog-applier.ts'), children: [] },
    ];
    const samples = [3, 5, 6, 4, 7, 1];
    const summary = summariseProfile({ nodes, samples, timeDeltas: samples.map(() => 1_000) }, 1_000, true, 10);
    const ms = Object.fromEntries(summary.steps!.map((s) => [s.step, s.ms]));
    expect(ms['the synchronous stage (`BatchWriter.stage`)']).toBe(4);
    expect(ms['the fold (`Projector.apply`)']).toBe(3);
    expect(ms['the derived checkpoint']).toBe(1);
    expect(ms['the index checkpoint']).toBe(0);
    expect(summary.steps!.find((s) => s.step === 'the fold (`Projector.apply`)')!.usPerEvent).toBe(3);
  });
});
