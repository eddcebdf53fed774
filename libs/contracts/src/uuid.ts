/**
 * The one uuid check, the same rule as zod's `z.uuid()` (RFC 9562: version 1–8 and the variant bits, plus the
 * nil and max uuids). Callers check ids before they reach a Postgres `uuid` column, which rejects a malformed one
 * with an error, so a bad id becomes a clean 400/404 instead of a 500.
 */
import { z } from 'zod';

const UUID = z.regexes.uuid();

export const isUuid = (value: string): boolean => UUID.test(value);
