/**
 * One AMQP connection per process, healed by amqplib's own recovery (exponential backoff with jitter).
 * Every channel is a "slot" with a setup function (declare, bind, consume) that runs on the connection's
 * first open, on every reconnect, and when the channel alone is closed by the server (e.g. 404 on a publish).
 */
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '@wahooks/telemetry';
import { reconnects, trackConnection } from './metrics.js';

export interface ConnectionOptions {
  url: string;
  connectionName: string; // client_properties.connection_name: how operators (and tests) find this connection
  logger: Logger;
  heartbeatSeconds?: number; // default 10: a dead TCP peer is noticed within ~2 heartbeats
  initialRetries?: number; // default 8 (~25 s of backoff) before connectBroker gives up at start
}

interface Slot {
  name: string;
  critical: boolean; // a critical slot failing its setup fails the whole (re)connect
  /**
   * Publisher confirms on (the default) or off. RPC channels run without them: the reply is the confirmation,
   * and `mandatory` + basic.return still reports an unroutable request, so a confirm would only cost the broker
   * and the client one more frame per message.
   */
  confirm: boolean;
  setup: (ch: Channel) => Promise<void>;
  channel?: Channel;
  model?: ChannelModel; // the connection the slot was last opened on
  opening?: Promise<Channel>;
  closed?: boolean;
}

export interface ChannelHandle<C extends Channel = ConfirmChannel> {
  readonly name: string;
  /** The live channel, or undefined while disconnected. */
  current(): C | undefined;
  /** Stop re-opening it and close it. */
  close(): Promise<void>;
}

/** How long close() waits for the channels' own close before closing the connection (ms). */
const CHANNEL_CLOSE_WAIT_MS = 2000;
const SLOT_RETRY_MS = 1000;

export class BrokerConnection extends EventEmitter {
  private recovering?: RecoveringChannelModel;
  private model?: ChannelModel;
  private ready = false;
  private closing = false;
  private readonly slots: Slot[] = [];
  private connects = 0; // every 'connect' after the first is a reconnect (metrics)
  private untrack?: () => void;

  constructor(private readonly opts: ConnectionOptions) {
    super();
  }

  async start(): Promise<void> {
    const url = withHeartbeat(this.opts.url, this.opts.heartbeatSeconds ?? 10);
    this.recovering = await amqp.connect(url, {
      clientProperties: { connection_name: this.opts.connectionName },
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        initialMaxRetries: this.opts.initialRetries ?? 8,
        setup: (model: ChannelModel) => this.setup(model),
        waitForConnect: false,
      },
    });
    const log = this.opts.logger;
    this.untrack = trackConnection(() => this.isConnected());
    this.recovering.on('connect', () => {
      if (this.connects++ > 0) reconnects.inc();
      this.ready = true;
      log.info({ connection: this.opts.connectionName }, 'broker connected');
      this.emit('connected');
    });
    this.recovering.on('reconnect-scheduled', (info: { attempt: number; delay: number; error: Error }) =>
      log.warn({ attempt: info.attempt, delayMs: info.delay, err: info.error.message }, 'broker reconnect scheduled'),
    );
    this.recovering.on('reconnect-failed', (err: Error) => log.error({ err: err.message }, 'broker recovery gave up'));
    this.recovering.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked the connection'));
    this.recovering.on('error', (err: Error) => log.warn({ err: err.message }, 'broker connection error'));
    await this.recovering.waitForConnect();
  }

  isConnected(): boolean {
    return this.ready && !this.closing;
  }

  /** Resolves once connected, or rejects after `timeoutMs`. */
  async waitConnected(timeoutMs: number): Promise<void> {
    if (this.isConnected()) return;
    if (this.closing) throw new Error('broker is closing');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connected', onConnected);
        reject(new Error(`broker not connected after ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnected = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('connected', onConnected);
    });
  }

  /**
   * Register a channel whose `setup` runs now (if connected) and again on every reconnect. Resolves after its
   * first setup when connected (rejecting if that setup fails), at once when disconnected.
   */
  addChannel(name: string, setup: (ch: ConfirmChannel) => Promise<void>, critical?: boolean): Promise<ChannelHandle>;
  addChannel(
    name: string,
    setup: (ch: Channel) => Promise<void>,
    critical: boolean,
    confirm: false,
  ): Promise<ChannelHandle<Channel>>;
  async addChannel(
    name: string,
    setup: (ch: ConfirmChannel) => Promise<void>,
    critical = false,
    confirm = true,
  ): Promise<ChannelHandle<Channel>> {
    const slot: Slot = { name, critical, confirm, setup: setup as (ch: Channel) => Promise<void> };
    this.slots.push(slot);
    const handle: ChannelHandle<Channel> = {
      name,
      current: () => (this.model && slot.model === this.model ? slot.channel : undefined),
      close: async () => {
        slot.closed = true;
        this.slots.splice(this.slots.indexOf(slot), 1);
        await slot.channel?.close().catch(() => undefined);
      },
    };
    if (this.model) {
      try {
        await this.openSlot(slot, this.model);
      } catch (err) {
        slot.closed = true; // no retry for a slot whose first setup failed: the caller gets the error
        this.slots.splice(this.slots.indexOf(slot), 1);
        throw err;
      }
    }
    return handle;
  }

  /**
   * A plain channel on the current connection, outside the slots: a one-off its caller closes (e.g. a passive
   * check after the server refused a slot's declare and closed the slot's channel). Throws while disconnected.
   */
  async openChannel(): Promise<Channel> {
    if (!this.model) throw new Error('broker not connected');
    const ch = await this.model.createChannel();
    ch.on('error', () => undefined); // a refused operation closes it with an error: its caller sees the rejection
    return ch;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.ready = false;
    this.untrack?.();
    // Channels first: RabbitMQ handles a channel's close after the frames sent on it (its last acks), while a
    // connection close can overtake them; an ack written just before conn.close() was lost and its message
    // redelivered (seen with quorum and classic queues on RabbitMQ 3.10). Bounded: a stalled broker must not hold
    // up a shutdown.
    const channels = this.slots.map((s) => s.channel?.close().catch(() => undefined));
    await Promise.race([Promise.all(channels), new Promise((r) => setTimeout(r, CHANNEL_CLOSE_WAIT_MS).unref())]);
    await this.recovering?.close().catch(() => undefined);
  }

  /** amqplib recovery `setup`: runs on every (re)connect before the connection counts as up. */
  private async setup(model: ChannelModel): Promise<void> {
    this.model = model;
    coalesceWrites(model);
    model.on('close', (err?: Error) => {
      if (this.model !== model) return;
      this.model = undefined;
      this.ready = false;
      if (!this.closing) this.opts.logger.warn({ err: err?.message }, 'broker connection lost');
      this.emit('disconnected', err);
    });
    // The live array: slots added while this loop runs are opened too (openSlot is idempotent per connection).
    for (const slot of this.slots) {
      try {
        await this.openSlot(slot, model);
      } catch (err) {
        if (slot.critical || this.model !== model) throw err;
        this.opts.logger.error({ channel: slot.name, err: (err as Error).message }, 'channel setup failed; retrying');
        this.retrySlotLater(slot, model);
      }
    }
  }

  private openSlot(slot: Slot, model: ChannelModel): Promise<Channel> {
    if (slot.model === model && slot.opening) return slot.opening;
    slot.model = model;
    slot.channel = undefined;
    slot.opening = (async () => {
      const ch = slot.confirm ? await model.createConfirmChannel() : await model.createChannel();
      ch.on('error', (err: Error) => this.opts.logger.warn({ channel: slot.name, err: err.message }, 'channel error'));
      ch.on('close', () => this.onChannelClosed(slot, ch, model));
      try {
        await slot.setup(ch);
      } catch (err) {
        await ch.close().catch(() => undefined);
        throw err;
      }
      slot.channel = ch;
      return ch;
    })();
    slot.opening.catch(() => {
      if (slot.model === model) slot.opening = undefined;
    });
    return slot.opening;
  }

  /** A channel closed while its connection lives on (server closed it): re-open it on its own. */
  private onChannelClosed(slot: Slot, ch: Channel, model: ChannelModel): void {
    if (slot.channel !== ch) return;
    slot.channel = undefined;
    slot.opening = undefined;
    slot.model = undefined;
    this.retrySlotLater(slot, model, 100);
  }

  private retrySlotLater(slot: Slot, model: ChannelModel, delayMs = SLOT_RETRY_MS): void {
    setTimeout(() => {
      if (slot.closed || this.closing || this.model !== model || slot.channel) return;
      this.openSlot(slot, model).catch((err: Error) => {
        this.opts.logger.error({ channel: slot.name, err: err.message }, 'channel re-open failed; retrying');
        if (slot.model === model) slot.model = undefined;
        this.retrySlotLater(slot, model);
      });
    }, delayMs).unref();
  }
}

/**
 * amqplib writes every frame batch to the socket on its own (one syscall each); under load that is most of its
 * CPU. Corking the socket at the first write and uncorking on the next tick turns everything written in one go
 * (amqplib flushes all channels in one setImmediate) into a single writev. Reaches into amqplib's internals
 * (`connection.stream`): when they are not there, nothing changes.
 */
function coalesceWrites(model: ChannelModel): void {
  const sock = (model as unknown as { connection?: { stream?: unknown } }).connection?.stream as
    (Writable & { wahooksCoalesced?: boolean }) | undefined;
  if (!sock || typeof sock.cork !== 'function' || typeof sock.write !== 'function' || sock.wahooksCoalesced) return;
  sock.wahooksCoalesced = true;
  const write = sock.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = function (this: Writable, ...args: Parameters<Writable['write']>) {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Writable['write'];
}

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}
