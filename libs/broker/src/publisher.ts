/** A confirm channel used for publishing; `publish` resolves when the broker confirms, rejects on nack. */
import type { ConfirmChannel, Options } from 'amqplib';
import { unavailable } from '@wahooks/contracts';
import type { BrokerConnection, ChannelHandle } from './connection.js';

export type ChannelSetup = (ch: ConfirmChannel) => Promise<void>;

export class Publisher {
  private handle?: ChannelHandle;
  private readonly setups: ChannelSetup[] = [];

  constructor(
    private readonly connection: BrokerConnection,
    private readonly channelName: string,
  ) {}

  /** Opens the channel; `setups` run in order on it now and after every reconnect. */
  async start(setups: ChannelSetup[]): Promise<void> {
    this.setups.push(...setups);
    this.handle = await this.connection.addChannel(this.channelName, (ch) => this.runSetups(ch), true);
  }

  /** Adds a setup that runs now (when connected) and after every reconnect; rejects if its first run fails. */
  async addSetup(setup: ChannelSetup): Promise<void> {
    this.setups.push(setup);
    const ch = this.handle?.current();
    if (!ch) return;
    try {
      await setup(ch);
    } catch (err) {
      this.setups.splice(this.setups.indexOf(setup), 1);
      throw err;
    }
  }

  channel(): ConfirmChannel | undefined {
    return this.handle?.current();
  }

  async publish(exchange: string, routingKey: string, body: Buffer, options: Options.Publish): Promise<void> {
    const ch = this.channel();
    if (!ch) throw unavailable('message broker is unavailable');
    await confirmPublish(ch, exchange, routingKey, body, options);
  }

  private async runSetups(ch: ConfirmChannel): Promise<void> {
    for (const setup of this.setups) await setup(ch);
  }
}

/** Publish on a confirm channel and wait for the broker's ack (nack or a closed channel rejects). */
export function confirmPublish(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      ch.publish(exchange, routingKey, body, options, (err: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(`publish not confirmed: ${String(err)}`));
        else resolve();
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err))); // channel already closed
    }
  });
}
