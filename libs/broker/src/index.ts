export * from './types.js';
export { connectBroker, connectionName, redactUrl } from './broker.js';
export { PermanentError, TransientError } from './errors.js';
export { Headers as BrokerHeaders } from './headers.js';
export { DELIVERY_LIMIT, commandQueueOptions, eventQueueOptions, exclusiveQueueOptions } from './topology.js';
export { issueMessages, validationError } from './validation.js';
export { rpcFailureOf, type RpcFailureKind } from './rpc-failure.js';
export { mapCommandErrors } from './map-errors.js';
export {
  connectStream,
  type StreamConsumer,
  type ConsumeStreamOptions,
  type StreamConnection,
  type StreamHandler,
  type StreamOptions,
  type StreamStart,
} from './stream.js';
