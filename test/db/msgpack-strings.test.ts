// eventdb turns msgpackr's native string decoding off for its process, unless the application chose: msgpackr-extract's
// load in one thread can corrupt strings another thread decodes (docs/guarantees.md, "msgpackr-extract and threads").

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeArgs } from '../helpers/child-build.js';

const CHILD = join(import.meta.dirname, 'msgpack-strings-child.ts');

/** Runs the child with the variable set to `value` (or absent), and returns what it printed. */
function child(value: string | undefined): { variable: string | null; addon: boolean; read: boolean } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'];
  if (value !== undefined) env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] = value;
  const run = spawnSync(process.execPath, nodeArgs(CHILD), { env, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { variable: string | null; addon: boolean; read: boolean };
}

describe('msgpackr string decoding', () => {
  it('is set to JavaScript when eventdb loads, so no thread of the process loads msgpackr-extract', () => {
    expect(child(undefined)).toEqual({ variable: 'true', addon: false, read: true });
  });

  it("keeps the application's own choice", () => {
    expect(child('false')).toEqual({ variable: 'false', addon: true, read: true });
  });
});
