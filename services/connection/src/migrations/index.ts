import { ConnectionInit1764200000000 } from './1764200000000-init.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const connectionMigrations = [ConnectionInit1764200000000];
