/**
 * zod parsing of request parts (body, params, query) into 400s, with the one formatter of @wahooks/contracts
 * (`name is required` as is, `id: Invalid uuid` for zod's own wording; one issue a string, several an array).
 */
import type { z } from 'zod';
import { badRequest, parseOrBadRequest } from '@wahooks/contracts';

export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return parseOrBadRequest(schema, value);
}

/** True when some string in `value` (keys included, at any depth) holds U+0000. Iterative: no depth limit. */
function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item); // not push(...v): a huge array would overflow the call stack
    } else if (v && typeof v === 'object')
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(item);
      }
  }
  return false;
}

/**
 * 400 for a NUL character anywhere in a request part. No stored text may hold one (Postgres refuses it in
 * text and jsonb, which would surface as a 500), and no legitimate field needs one.
 */
export function rejectNul(value: unknown, part: 'path' | 'query' | 'body'): void {
  if (containsNul(value)) throw badRequest(`${part} must not contain NUL (\\u0000) characters`);
}
