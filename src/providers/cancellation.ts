/**
 * The one cancellation type. Raised when the user dismisses a prompt, cancels progress, or an
 * AbortSignal fires: callers stop cleanly and nothing is shown as an error. Lives in providers so
 * plain-Node code (deploy engine, pipeline, uploads) and the VS Code side share it.
 */
export class CancelledError extends Error {
  readonly cancelled = true;
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** True for our CancelledError, an aborted fetch/stream (AbortError) and vscode.CancellationError (name 'Canceled'). */
export function isCancellation(err: unknown): boolean {
  if (err instanceof CancelledError) return true;
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || name === 'Canceled' || name === 'CancelledError';
}

/** Throws CancelledError when the signal has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted) throw new CancelledError(message);
}
