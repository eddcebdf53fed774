export * from './ack.js';
export * from './jids.js';
export * from './json-safe.js';
export * from './media-file.js';
export * from './message-payload.js';
export * from './map-baileys-events.js';
export * from './map-group-events.js';
export * from './envelope.js';
