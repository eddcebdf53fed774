/** `connection.outbox.trace_parent`: the W3C traceparent of the span that wrote the row (NULL when untraced). */
import { outboxTraceMigration } from '@wahooks/outbox';

export const OutboxTraceParent1764400000000 = outboxTraceMigration(1764400000000, 'connection.outbox');
