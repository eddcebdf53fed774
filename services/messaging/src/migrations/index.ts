import { MessagingInit1767225600000 } from './1767225600000-init.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const messagingMigrations = [MessagingInit1767225600000];
