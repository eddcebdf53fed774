/**
 * Commands that must reach the one instance owning a key (a WhatsApp session: only the replica holding it has its
 * socket). Each instance consumes its own exclusive, server-named queue on a direct exchange (default
 * `wahooks.sessions`) and binds it to the keys it holds. A request for a key nobody holds is unroutable and the
 * caller gets 503 at once. The queue dies with the connection; on reconnect it is re-created and every held
 * key re-bound (until then, requests for those keys are 503: the documented "worker still booting").
 */
import type { Channel } from 'amqplib';
import { Exchanges } from '@wahooks/contracts';
import { CommandDispatcher } from './command-dispatch.js';
import type { BrokerCore } from './core.js';
import { exclusiveQueueOptions } from './topology.js';
import type { CommandBinding, RoutedServer } from './types.js';

export async function serveRouted(
  core: BrokerCore,
  bindings: CommandBinding[],
  exchange = Exchanges.sessions as string,
): Promise<RoutedServer> {
  const dispatcher = new CommandDispatcher(core);
  dispatcher.add(bindings);
  const source = core.name(exchange);
  const held = new Set<string>();
  let live: { ch: Channel; queue: string } | undefined;

  await core.consumers.start<Channel>({
    label: `routed:${exchange}`,
    prefetch: core.prefetch,
    confirm: false, // as the RPC server: replies need no publisher confirms
    declare: async (ch) => {
      const { queue } = await ch.assertQueue('', exclusiveQueueOptions());
      for (const key of held) await ch.bindQueue(queue, source, key);
      live = { ch, queue };
      ch.once('close', () => {
        if (live?.ch === ch) live = undefined;
      });
      return queue;
    },
    onMessage: (ch, msg) => dispatcher.onMessage(ch, msg),
  });

  // While disconnected the key is only remembered: the next declare binds it.
  const apply = async (op: 'bindQueue' | 'unbindQueue', key: string) => {
    const target = live;
    if (!target) return;
    try {
      await target.ch[op](target.queue, source, key);
    } catch (err) {
      if (live === target) throw err; // the channel is fine: a real failure
    }
  };

  return {
    async bind(key) {
      held.add(key);
      await apply('bindQueue', key);
    },
    async unbind(key) {
      held.delete(key);
      await apply('unbindQueue', key);
    },
    keys: () => [...held],
  };
}
