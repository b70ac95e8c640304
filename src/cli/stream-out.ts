// Streaming output for long-running commands: stdout with back-pressure, and a stop on SIGINT/SIGTERM.

/**
 * Writes to stdout and waits for it to drain when its buffer is full, so a slow reader slows the command down
 * instead of growing its memory. Resolves false once stdout is closed (`| head`): the command should stop.
 */
export function writeOut(text: string): Promise<boolean> {
  if (stdoutClosed) return Promise.resolve(false);
  if (process.stdout.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      resolve(!stdoutClosed);
    };
    process.stdout.once('drain', done);
    process.stdout.once('error', done);
  });
}

let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
});

/** An AbortSignal that SIGINT and SIGTERM abort (the command then ends cleanly, closing the store). */
export function stopSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
