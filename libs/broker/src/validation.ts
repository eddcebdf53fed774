/** zod issues as the human messages of a 400 body (NestJS style: one string, or an array when several). */
import { AppError } from '@wahooks/contracts';
import type { z } from 'zod';

export function issueMessages(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    // A custom message that already names its field ("name is required") reads best as is.
    if (!path || issue.message.toLowerCase().includes(String(issue.path[issue.path.length - 1]).toLowerCase())) {
      return issue.message;
    }
    return `${path}: ${issue.message}`;
  });
}

export function validationError(error: z.ZodError): AppError {
  const messages = issueMessages(error);
  return new AppError(400, messages.length === 1 ? messages[0]! : messages);
}

/** Parse or throw AppError 400. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
