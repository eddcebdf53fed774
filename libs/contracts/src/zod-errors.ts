/**
 * The one way a ZodError becomes a 400: used by the gateway (bodies, params, queries) and by libs/broker (every
 * command request, on both sides of the wire), so a client sees the same words whichever layer refused it.
 *
 * A message is shown as is when it was written for the client: it names its field ("name is required",
 * "events must be an array of event names") or it comes from a custom check (`ctx.issues.push({code:
 * 'custom', ...})`: "unknown event name(s): x"). Zod's own messages get their path in front ("limit: Too big:
 * expected number to be <=100"). Repeated messages are shown once (a body missing both `url` and `events`
 * gives one `url and events are required`). One message is a string, several a NestJS-style array.
 */
import type { z } from 'zod';
import { AppError } from './errors.js';

/** The last path segment that is a field name (array indexes skipped): `events` for `events.1`. */
const fieldOf = (path: readonly PropertyKey[]): string | undefined =>
  path.findLast((p): p is string => typeof p === 'string');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const namesField = (message: string, field: string) =>
  new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(field)}([^A-Za-z0-9_]|$)`, 'i').test(message);

/** The client-facing message of each issue, deduplicated, in the order zod reported them. */
export function zodIssueMessages(error: z.ZodError): string[] {
  const messages = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = fieldOf(issue.path);
    if (!path || issue.code === 'custom' || (field !== undefined && namesField(issue.message, field))) {
      return issue.message;
    }
    return `${path}: ${issue.message}`;
  });
  return [...new Set(messages)];
}

/** 400 Bad Request with the messages of `error` (see above). */
export function badRequestFromZod(error: z.ZodError): AppError {
  const messages = zodIssueMessages(error);
  return new AppError(400, messages.length === 1 ? messages[0]! : messages);
}

/** Parse `value` with `schema`, or throw the 400 above. */
export function parseOrBadRequest<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequestFromZod(result.error);
  return result.data;
}
