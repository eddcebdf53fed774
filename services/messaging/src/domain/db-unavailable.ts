/**
 * Whether an error means "Postgres cannot be reached right now" rather than a bug: such failures become a 503
 * (with Retry-After) for the caller instead of a 500. One definition for every service, in @wahooks/db.
 */
export { isDatabaseUnavailable } from '@wahooks/db';
