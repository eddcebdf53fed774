import { TokenInit1764230400000 } from './0001-init.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const tokenMigrations = [TokenInit1764230400000];
