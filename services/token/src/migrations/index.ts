import { TokenInit1764230400000 } from './1764230400000-init.js';
import { TokenOutbox1764270000000 } from './1764270000000-outbox.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const tokenMigrations = [TokenInit1764230400000, TokenOutbox1764270000000];
