import { randomBytes } from 'node:crypto';

/** A short unique id for one test file's resources: lower-case, safe in Postgres identifiers and AMQP names. */
export const uniqueId = (label = 't'): string =>
  `${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
