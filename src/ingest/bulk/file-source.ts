// Opens an input file as a stream of bytes, gunzipping it when its first bytes say gzip (whatever its name).

import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** Large reads: fewer, bigger chunks for the line splitter. */
const READ_CHUNK_BYTES = 1 << 20;

/** An open input: its (decompressed) bytes, and how far into the file the reading is. */
export interface FileSource {
  stream: Readable;
  gzip: boolean;
  /** Size of the file on disk (compressed size for gzip). */
  bytesTotal: number;
  /** Bytes of the file read from disk so far. */
  bytesRead: () => number;
  /** Stops reading and closes the file. */
  close: () => void;
}

/** Opens `path`; throws the fs error when it cannot be read. */
export async function openFileSource(path: string): Promise<FileSource> {
  const { gzip, size } = await probe(path);
  const file: ReadStream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  const bytesRead = (): number => file.bytesRead;
  if (!gzip) return { stream: file, gzip, bytesTotal: size, bytesRead, close: () => file.destroy() };
  const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  const close = (): void => {
    file.destroy();
    gunzip.destroy();
  };
  return { stream: gunzip, gzip, bytesTotal: size, bytesRead, close };
}

async function probe(path: string): Promise<{ gzip: boolean; size: number }> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path} is a directory`), { code: 'EISDIR' });
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return { gzip: bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1], size: stat.size };
  } finally {
    await handle.close();
  }
}
