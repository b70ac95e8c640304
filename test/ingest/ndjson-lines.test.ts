// The NDJSON splitter and the file reader: line numbers, CRLF, BOM, blank lines, multi-byte characters split across reads, format sniffing.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileReader } from '../../src/ingest/bulk/file-reader.js';
import { ndjsonChunks } from '../../src/ingest/bulk/ndjson-lines.js';
import type { RawChunk } from '../../src/ingest/bulk/raw-chunk.js';

async function collect(chunks: AsyncIterable<RawChunk>): Promise<{ lines: string[]; positions: number[]; sizes: number[] }> {
  const out = { lines: [] as string[], positions: [] as number[], sizes: [] as number[] };
  for await (const chunk of chunks) {
    out.lines.push(...chunk.lines);
    out.positions.push(...chunk.positions);
    out.sizes.push(chunk.lines.length);
  }
  return out;
}

async function* pieces(bytes: Buffer, cut: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += cut) yield bytes.subarray(at, at + cut);
}

const TEXT = '\uFEFF{"a":"é"}\r\n\n   \n{"b":"日本語"}\n{"c":"🎉"}\r\nlast-without-newline';

describe('ndjsonChunks', () => {
  it('numbers every line, skips blank ones, drops CRLF and BOM, whatever the read boundaries', async () => {
    const bytes = Buffer.from(TEXT, 'utf8');
    for (let cut = 1; cut <= bytes.length; cut++) {
      const { lines, positions } = await collect(ndjsonChunks(pieces(bytes, cut), 100));
      expect(lines, `reads of ${cut} bytes`).toEqual(['{"a":"é"}', '{"b":"日本語"}', '{"c":"🎉"}', 'last-without-newline']);
      expect(positions).toEqual([1, 4, 5, 6]);
    }
  });

  it('cuts chunks of at most chunkLines', async () => {
    const text = Array.from({ length: 25 }, (_, i) => `{"i":${i}}`).join('\n');
    const { sizes, positions } = await collect(ndjsonChunks(pieces(Buffer.from(text), 7), 10));
    expect(sizes).toEqual([10, 10, 5]);
    expect(positions.at(-1)).toBe(25);
  });
});

describe('openFileReader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tells a JSON array from NDJSON by the first non-blank character, gzip by the magic bytes', async () => {
    const array = join(dir, 'array.txt');
    writeFileSync(array, gzipSync('\uFEFF \n [{"a":1}, {"b":2}]'));
    const reader = await openFileReader(array, 10);
    const { lines, positions } = await collect(reader.chunks);
    expect({ format: reader.format(), gzip: reader.gzip }).toEqual({ format: 'json', gzip: true });
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(positions).toEqual([0, 1]);
  });

  it('reads an empty file as NDJSON with no records', async () => {
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '');
    const reader = await openFileReader(empty, 10);
    expect((await collect(reader.chunks)).lines).toEqual([]);
    expect(reader.format()).toBe('ndjson');
  });
});
