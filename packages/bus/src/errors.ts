/** A message that can never succeed (bad payload): goes to the dead-letter stream at once. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Not a failure: the handler wants the message again after `delayMs` (e.g. a webhook's change not yet
 * visible). Redelivered like a failure but logged at info; after the last delivery it is acknowledged,
 * not dead-lettered.
 */
export class RetryLater extends Error {
  /** How long JetStream waits before delivering the message again. */
  readonly delayMs: number;

  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'RetryLater';
    this.delayMs = delayMs;
  }
}
