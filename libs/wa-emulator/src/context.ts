import type { BinaryNode, proto } from '@whiskeysockets/baileys';
import type { Account, DeliveryJob, Directory } from './accounts.js';
import type { Connection } from './connection.js';
import type { MediaHost } from './media-host.js';
import type { ResolvedOptions } from './options.js';
import type { ServerIdentity } from './cert-chain.js';
import type { SocketCensus } from './socket-census.js';

/** Counters for tests and benchmarks. */
export interface EmulatorStats {
  /** inbound messages put on the wire, by Signal message type */
  inbound: { pkmsg: number; msg: number };
  /** outbound messages captured */
  outbound: number;
  /** retry receipts the contacts sent for client messages they could not decrypt */
  retryReceiptsSent: number;
  /** contact messages sent again because the client's retry receipt asked */
  inboundResends: number;
}

/** What the stanza handlers see of the emulator. */
export interface ServerContext {
  readonly options: ResolvedOptions;
  readonly identity: ServerIdentity;
  readonly directory: Directory;
  readonly media: MediaHost;
  readonly connections: Set<Connection>;
  readonly stats: EmulatorStats;
  /** logged-in sockets per account (the single-socket tests) */
  readonly sockets: SocketCensus;
  /** a registration handshake finished: start QR pairing */
  onRegistration(connection: Connection): void;
  /** a login handshake finished */
  onLogin(connection: Connection, payload: proto.ClientPayload, clientStatic: Buffer): void;
  onNode(connection: Connection, node: BinaryNode): Promise<void>;
  onClosed(connection: Connection): void;
  /**
   * Queue or send a delivery for an account (Signal encryption happens at delivery time). With `ackId`, the job is
   * kept until the client acks that stanza id and is redelivered after a reconnect otherwise.
   */
  deliver(account: Account, job: DeliveryJob, ackId?: string): void;
}
