export * from './names.js';
export * from './postgres.js';
export * from './rabbitmq.js';
export * from './env.js';
export * from './tcp-proxy.js';
export * from './fake-dns.js';
export * from './metrics.js';
