/** A command that failed because Postgres is unreachable answers 503 + Retry-After (retry shortly), not 500. */
import { unavailable } from '@wahooks/contracts';
import { isDatabaseUnavailable } from '@wahooks/db';

export const databaseOutageAs503 = (err: unknown): unknown =>
  isDatabaseUnavailable(err) ? unavailable('Connection store unavailable, retry shortly') : err;
