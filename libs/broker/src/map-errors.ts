/**
 * Rewrites what command handlers throw, for a whole list of bindings at once: e.g. a database outage (a pg
 * error, which would answer 500) as a 503 with Retry-After, so callers retry instead of reporting a bug.
 */
import type { CommandBinding } from './types.js';

/** `map(err)` returns the error to throw instead (an AppError), or `err` itself to keep it. */
export function mapCommandErrors(bindings: CommandBinding[], map: (err: unknown) => unknown): CommandBinding[] {
  return bindings.map((b) => ({
    ...b,
    handler: async (request, ctx) => {
      try {
        return await b.handler(request, ctx);
      } catch (err) {
        throw map(err);
      }
    },
  }));
}
