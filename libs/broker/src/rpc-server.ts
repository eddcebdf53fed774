/**
 * RPC server: the classic queue `<service>:commands` (topology.ts: commandQueueOptions), bound on the commands
 * exchange to each served command name (plus the ping), so a command nobody serves is unroutable and fails fast at
 * the caller. Replies go to the caller's direct reply-to address. Requests are consumed with noAck (no ack frame):
 * one lost with this process is its caller's 503 at the deadline.
 */
import type { Channel } from 'amqplib';
import { Exchanges, pingCommand, Queues } from '@wahooks/contracts';
import { CommandDispatcher } from './command-dispatch.js';
import type { BrokerCore } from './core.js';
import { commandQueueOptions } from './topology.js';
import { handle, type CommandBinding } from './types.js';

export class RpcServer {
  private readonly dispatcher: CommandDispatcher;
  private channel?: Channel;
  private started = false;

  constructor(private readonly core: BrokerCore) {
    this.dispatcher = new CommandDispatcher(core, true);
  }

  /** Adds handlers; the first call starts consuming, later calls bind the new command names. */
  async serve(bindings: CommandBinding[]): Promise<void> {
    const { core } = this;
    const ping = pingCommand(core.service);
    const added = [...bindings];
    if (!this.dispatcher.bindings.has(ping.name)) {
      added.push(
        handle(ping, async () => ({
          service: core.service,
          instance: core.instanceId,
          uptimeMs: Date.now() - core.startedAt,
          ...(await core.health?.()),
        })),
      );
    }
    this.dispatcher.add(added);
    if (!this.started) {
      this.started = true;
      await core.consumers.start<Channel>({
        label: 'rpc-server',
        prefetch: core.prefetch,
        confirm: false, // replies need no publisher confirms: the caller's wait is the confirmation
        noAck: true, // no ack frame per request: a request lost with this process times out at its caller (503)
        declare: (ch) => this.declare(ch, [...this.dispatcher.bindings.keys()]),
        onMessage: (ch, msg, queue, slot) => this.dispatcher.onMessage(ch, msg, slot, queue),
      });
    } else if (this.channel) {
      await this.declare(
        this.channel,
        added.map((b) => b.command.name),
      );
    }
  }

  private async declare(ch: Channel, names: string[]): Promise<string> {
    const queue = this.core.name(Queues.commands(this.core.service));
    await ch.assertQueue(queue, commandQueueOptions());
    for (const n of names) await ch.bindQueue(queue, this.core.name(Exchanges.commands), n);
    this.channel = ch;
    return queue;
  }
}
