// Shared by the example mappings: writes records as NDJSON to stdout or a file (gzipped when it ends in .gz), with backpressure.

import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

/** An NDJSON sink: `write` one record at a time, `close` at the end. */
export interface NdjsonOutput {
  write(record: object): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` (or stdout when undefined or `-`). */
export function ndjsonOutput(path: string | undefined): NdjsonOutput {
  const toStdout = path === undefined || path === '-';
  const file = toStdout ? undefined : createWriteStream(path);
  const gzip = path?.endsWith('.gz') === true ? createGzip({ level: 6 }) : undefined;
  if (gzip !== undefined && file !== undefined) gzip.pipe(file);
  const sink: Writable = gzip ?? file ?? process.stdout;
  return {
    async write(record) {
      if (!sink.write(`${JSON.stringify(record)}\n`)) await once(sink, 'drain');
    },
    async close() {
      if (toStdout) return;
      sink.end();
      await once(file!, 'close');
    },
  };
}

/** A file's bytes, gunzipped when its name ends in .gz. */
export function inputStream(path: string): Readable {
  const file = createReadStream(path);
  return path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
}

/**
 * `--out <path>` and the first positional argument, from argv. The default input is the full copy beside the
 * repository (../shared/realdata), which a fresh clone does not have: when the input is missing, says so (with
 * `hint`) and exits.
 */
export function argsOf(argv: readonly string[], defaultInput: string, hint = ''): { input: string; out: string | undefined } {
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  const input = argv.find((arg, i) => !arg.startsWith('--') && (outAt < 0 || i !== outAt + 1)) ?? defaultInput;
  if (!existsSync(input)) {
    process.stderr.write(`${input} not found: pass the path of a copy of the data set as the first argument${hint === '' ? '' : ` (${hint})`}\n`);
    process.exit(2);
  }
  return { input, out };
}
