/** zod parsing of request parts into 400s with readable messages (`name is required`, `id: Invalid uuid`). */
import type { z } from 'zod';
import { badRequest } from '@wahooks/contracts';

const describe = (issue: z.core.$ZodIssue): string => {
  const path = issue.path.map(String).join('.');
  if (!path) return issue.message;
  const field = String(issue.path[issue.path.length - 1]);
  // Messages written for a field ("name is required") already name it.
  return issue.message.startsWith(field) ? issue.message : `${path}: ${issue.message}`;
};

/** One issue gives a string message (as the SPEC's documented 400s), several give NestJS's string array. */
export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const messages = [...new Set(result.error.issues.map(describe))];
  throw badRequest(messages.length === 1 ? messages[0]! : messages);
}
