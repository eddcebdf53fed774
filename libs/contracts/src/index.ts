export * from './define.js';
export * from './errors.js';
export * from './topology.js';
export * from './health.js';
export * from './commands/token.js';
export * from './events/token.js';
