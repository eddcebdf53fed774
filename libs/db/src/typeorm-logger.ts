/** Routes TypeORM's log calls to a pino-style logger at levels that keep production output quiet. */
import type { Logger as OrmLogger } from 'typeorm';

/** The subset of a pino logger this package uses (pino's Logger fits). */
export interface DbLogger {
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  isLevelEnabled?(level: string): boolean;
}

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

export function typeormLogger(log: DbLogger, schema: string): OrmLogger {
  return {
    logQuery(query) {
      if (log.isLevelEnabled?.('trace') === false) return; // every query passes here: keep it cheap
      log.trace({ schema, sql: oneLine(query) }, 'db query');
    },
    // The caller gets the QueryFailedError and decides whether it is an error (a unique violation often is not).
    logQueryError(error, query) {
      log.debug({ schema, sql: oneLine(query), err: String(error) }, 'db query failed');
    },
    logQuerySlow(time, query) {
      log.warn({ schema, sql: oneLine(query), ms: time }, 'slow db query');
    },
    logSchemaBuild(message) {
      log.debug({ schema }, message);
    },
    logMigration(message) {
      log.info({ schema }, message);
    },
    log(level, message) {
      (level === 'warn' ? log.warn : log.debug).call(log, { schema }, String(message));
    },
  };
}
