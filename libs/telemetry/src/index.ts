export * from './logger.js';
export * from './sdk.js';
export * from './tracer.js';
export * from './test-tracing.js';
export * from './run-service.js';
