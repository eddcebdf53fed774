import { ConnectionInit1764200000000 } from './1764200000000-init.js';
import { MessagesByChatSender1764300000000 } from './1764300000000-messages-by-chat-sender.js';
import { OutboxTraceParent1764400000000 } from './1764400000000-outbox-trace-parent.js';
import { Labels1764450000000 } from './1764450000000-labels.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const connectionMigrations = [
  ConnectionInit1764200000000,
  MessagesByChatSender1764300000000,
  OutboxTraceParent1764400000000,
  Labels1764450000000,
];
