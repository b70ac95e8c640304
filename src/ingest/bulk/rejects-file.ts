// Writes rejected lines to an NDJSON rejects file — `{ line, input, errors }` per line — honouring the stream's backpressure.

import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { errors as eventdbErrors } from '../../errors.js';
import type { Issue } from '../../schema/issues.js';
import { describeFsError } from './file-reader.js';

/** One line of the rejects file. */
export interface RejectEntry {
  /** 1-based line number in the input file, or the 0-based element index of a JSON array. */
  line: number;
  /** The line as it was in the file (for a JSON array, the element re-serialised). */
  input: string;
  errors: Issue[];
}

/** An open rejects file. */
export class RejectsFile {
  private failure: Error | undefined;

  private constructor(
    private readonly stream: WriteStream,
    private readonly path: string,
  ) {
    stream.on('error', (err) => (this.failure = err));
  }

  /** Creates (or truncates) the file; throws `INVALID_ARGUMENT` when it cannot be opened. */
  static async create(path: string): Promise<RejectsFile> {
    const stream = createWriteStream(path, { flags: 'w' });
    try {
      await once(stream, 'open');
    } catch (err) {
      throw eventdbErrors.invalidArgument('rejectsPath', `cannot write ${path}: ${describeFsError(err)}`);
    }
    return new RejectsFile(stream, path);
  }

  /** Appends entries; resolves once the stream can take more. */
  async write(entries: readonly RejectEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.check();
    const text = entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
    // events.once rejects when the stream emits 'error' while waiting.
    if (!this.stream.write(text)) await once(this.stream, 'drain').catch(() => undefined);
    this.check();
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.stream.closed) return;
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) throw eventdbErrors.invalidArgument('rejectsPath', `cannot write ${this.path}: ${describeFsError(this.failure)}`);
  }
}
