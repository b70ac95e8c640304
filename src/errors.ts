// The one error class of eventdb, with stable string codes, and the factories that make it.

/** Codes of errors thrown by the API (bad records are not thrown: they come back as issues). */
export type EventDBErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_QUERY'
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'WRITE_FAILED'
  | 'INVALID_INPUT'
  | 'NOT_FOUND';

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
  invalidOptions: (path: string, message: string) =>
    new EventDBError('INVALID_OPTIONS', `options.${path}: ${message}`),
  invalidQuery: (path: string, message: string) =>
    new EventDBError('INVALID_QUERY', `query.${path}: ${message}`),
  invalidArgument: (name: string, message: string) =>
    new EventDBError('INVALID_ARGUMENT', `${name}: ${message}`),
  closed: () => new EventDBError('CLOSED', 'the database is closed'),
  writeFailed: (cause: unknown) =>
    new EventDBError(
      'WRITE_FAILED',
      `a write to the store failed; committed data is intact, reopen the database to continue (${String(
        (cause as Error)?.message ?? cause,
      )})`,
      { cause },
    ),
  notFound: (what: string) => new EventDBError('NOT_FOUND', `${what} was not found`),
  /** A file or stream whose content cannot be read as the format it should be (malformed JSON array, corrupt gzip). */
  invalidInput: (where: string, message: string, cause?: unknown) =>
    new EventDBError('INVALID_INPUT', `${where}: ${message}`, cause === undefined ? undefined : { cause }),
};

/** Broken invariants crash loudly: they mean a bug, not bad input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`eventdb invariant violated: ${message}`);
}
