// Writes issued without awaiting them: their outcome is the commit's, which the writer awaits once per batch.

let lastHandled: Promise<unknown> | undefined;

/**
 * Marks the promise of an asynchronous LMDB write as handled. lmdb-js rejects each write's promise when its
 * transaction fails (disk full, I/O error); the writer learns of the failure by awaiting the batch's commit, and
 * an unhandled rejection of these other promises would end the process. Plain puts of one transaction share one
 * promise, so this attaches a handler once per transaction, not once per write.
 */
export function issued(write: Promise<unknown>): void {
  if (write === lastHandled) return;
  lastHandled = write;
  write.catch(() => undefined);
}
