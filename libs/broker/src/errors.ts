/**
 * What an event handler can throw to choose its fate (after Rascal's recovery chains):
 * PermanentError is dead-lettered at once (retrying cannot help: bad input, unknown entity);
 * TransientError and anything else is retried up to `maxAttempts`, then dead-lettered.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
