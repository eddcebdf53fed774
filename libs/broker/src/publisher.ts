/** A confirm channel used for publishing; `publish` resolves when the broker confirms, rejects on nack. */
import type { ConfirmChannel, Options } from 'amqplib';
import { AppError, unavailable } from '@wahooks/contracts';
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

  /** Confirmed publish; when the channel is being re-opened, waits up to `waitMs` for it, then fails with 503. */
  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: Options.Publish,
    waitMs = 0,
  ): Promise<void> {
    let ch = this.channel();
    for (const until = Date.now() + waitMs; !ch && Date.now() < until; ch = this.channel()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!ch) throw unavailable('message broker is unavailable');
    try {
      await confirmPublish(ch, exchange, routingKey, body, options, CONFIRM_TIMEOUT_MS);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // nack (e.g. a full reject-publish queue) or the channel closed under us (e.g. 404 on the exchange)
      throw unavailable(`message broker did not accept the message: ${(err as Error).message}`);
    }
  }

  private async runSetups(ch: ConfirmChannel): Promise<void> {
    for (const setup of this.setups) await setup(ch);
  }
}

/**
 * A confirm that takes this long means a blocked connection (memory/disk alarm) or a stuck broker: give up with
 * 503 rather than hang the caller. The message may still land later: consumers dedupe on the event id.
 */
const CONFIRM_TIMEOUT_MS = 15_000;

/** Publish on a confirm channel and wait for the broker's ack (nack, a closed channel or `timeoutMs` rejects). */
export function confirmPublish(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: Options.Publish,
  timeoutMs?: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = timeoutMs
      ? setTimeout(() => reject(unavailable(`message broker did not confirm within ${timeoutMs} ms`)), timeoutMs)
      : undefined;
    try {
      ch.publish(exchange, routingKey, body, options, (err: unknown) => {
        clearTimeout(timer);
        if (err) reject(err instanceof Error ? err : new Error(`publish not confirmed: ${String(err)}`));
        else resolve();
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err))); // channel already closed
    }
  });
}
