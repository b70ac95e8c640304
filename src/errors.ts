// The one error class of eventdb, with stable string codes, and the factories that make it.

/** Codes of errors thrown by the API (bad records are not thrown: they come back as issues). */
export type EventDBErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_QUERY'
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'WRITE_FAILED'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'LOCKED'
  | 'LIMIT_EXCEEDED'
  | 'READ_ONLY'
  | 'CORRUPT_STORE'
  | 'WORKER_FAILED'
  | 'EXPORT_FAILED';

/**
 * Thrown for API misuse and storage faults. Records that fail validation are
 * never thrown: they are returned as `rejected` with their issues.
 *
 * @example
 * try { db.events({}) } catch (err) { if (isEventDBError(err, 'INVALID_QUERY')) … }
 */
export class EventDBError extends Error {
  readonly code: EventDBErrorCode;

  constructor(code: EventDBErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventDBError';
    this.code = code;
  }
}

/** True when `err` is an EventDBError, with the given code when one is named. */
export function isEventDBError(err: unknown, code?: EventDBErrorCode): err is EventDBError {
  return err instanceof EventDBError && (code === undefined || err.code === code);
}

export const errors = {
  invalidOptions: (path: string, message: string) => new EventDBError('INVALID_OPTIONS', `options.${path}: ${message}`),
  invalidQuery: (path: string, message: string) => new EventDBError('INVALID_QUERY', `query.${path}: ${message}`),
  invalidArgument: (name: string, message: string) => new EventDBError('INVALID_ARGUMENT', `${name}: ${message}`),
  closed: () => new EventDBError('CLOSED', 'the database is closed'),
  writeFailed: (cause: unknown) =>
    new EventDBError(
      'WRITE_FAILED',
      `a write to the store failed; committed data is intact, reopen the database to continue (${String((cause as Error)?.message ?? cause)})`,
      { cause },
    ),
  locked: (path: string, why: string) =>
    new EventDBError('LOCKED', `the store at ${path} is open by another writer: ${why}; close it first (one writer per store)`),
  workerFailed: (position: number, cause: unknown) =>
    new EventDBError(
      'WORKER_FAILED',
      `a bulk-ingest worker failed while parsing the chunk from record ${position} (${String((cause as Error)?.message ?? cause)}); the chunks before it are committed, and running the file again ingests the rest (duplicates are recognised)`,
      { cause },
    ),
  corruptStore: (file: string, why: string) =>
    new EventDBError('CORRUPT_STORE', `the store's data file ${file} cannot be opened: ${why}; restore it from a backup or move it away`),
  readOnly: (what: string) => new EventDBError('READ_ONLY', `${what} writes, and this store was opened with readOnly: true`),
  limitExceeded: (name: string, message: string) => new EventDBError('LIMIT_EXCEEDED', `${name}: ${message}`),
  notFound: (what: string) => new EventDBError('NOT_FOUND', `${what} was not found`),
  /** An export target that cannot be reached or refuses what is sent; what it holds is whole, and a re-run continues. */
  exportFailed: (target: string, why: string, cause?: unknown) =>
    new EventDBError(
      'EXPORT_FAILED',
      `export to ${target} failed: ${why}; what the target holds is whole, and running the export again continues after it`,
      cause === undefined ? undefined : { cause },
    ),
  /** A file or stream whose content cannot be read as the format it should be (malformed JSON array, corrupt gzip). */
  invalidInput: (where: string, message: string, cause?: unknown) =>
    new EventDBError('INVALID_INPUT', `${where}: ${message}`, cause === undefined ? undefined : { cause }),
};

/** Broken invariants crash loudly: they mean a bug, not bad input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`eventdb invariant violated: ${message}`);
}
