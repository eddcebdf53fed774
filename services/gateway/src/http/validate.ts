/**
 * zod parsing of request parts (body, params, query) into 400s, with the one formatter of @wahooks/contracts
 * (`name is required` as is, `id: Invalid uuid` for zod's own wording; one issue a string, several an array).
 */
import type { z } from 'zod';
import { parseOrBadRequest } from '@wahooks/contracts';

export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return parseOrBadRequest(schema, value);
}
