import 'reflect-metadata';

export { openDatabase, closeDatabase, withTransaction, type OpenDatabaseOptions } from './open-database.js';
export { ensureDatabase, databaseName, withDatabase } from './ensure-database.js';
export { sqlOf, type Sql, type IsolationLevel } from './sql.js';
export { checkDatabase, type DatabaseCheck } from './check-database.js';
export { isDatabaseUnavailable, retryWhileUnavailable, type RetryWhileUnavailableOptions } from './unavailable.js';
export type { DbLogger } from './typeorm-logger.js';
export type { DataSource, EntityManager, MigrationInterface, QueryRunner, Relation, Repository } from 'typeorm';
export {
  startVacuumKeeper,
  type VacuumKeeper,
  type VacuumKeeperOptions,
  type VacuumMode,
  type VacuumPass,
} from './vacuum-keeper.js';
