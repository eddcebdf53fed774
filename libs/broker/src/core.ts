/** What the broker's parts share: identity, naming, the connection, logging and in-flight tracking. */
import type { ServiceHealth, ServiceName } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { BrokerConnection } from './connection.js';
import type { Consumers } from './consumer.js';
import type { InFlight } from './inflight.js';
import type { Publisher } from './publisher.js';
import type { Namer } from './topology.js';

export interface BrokerCore {
  service: ServiceName;
  instanceId: string;
  name: Namer;
  logger: Logger;
  connection: BrokerConnection;
  inflight: InFlight;
  consumers: Consumers;
  /** Main channel: exchanges, user setups, event and raw publishes. */
  publisher: Publisher;
  prefetch: number; // default per consumer
  defaultTimeoutMs: number; // RPC deadline
  publishWaitMs: number; // how long a publish waits for a reconnect before failing with 503
  startedAt: number; // epoch ms
  health?: () => Promise<ServiceHealth>; // added to the ping reply
}
