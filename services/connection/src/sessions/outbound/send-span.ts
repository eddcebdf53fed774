/**
 * The span of one Baileys `sendMessage`: CLIENT `send whatsapp` (the message goes out to WhatsApp's servers), the
 * last hop of an API send's trace, child of the command's consumer span. Only the connection id and the content
 * type as attributes: never the text, the media or the chat. A no-op when tracing is off.
 */
import { getTracer, SpanKind, withSpan } from '@wahooks/telemetry';

// Looked up per use: a tracer taken at import time stays a no-op when a test registers its provider later.
const tracer = () => getTracer('connection');

export function traceSend<T>(connectionId: string, contentType: string, send: () => Promise<T>): Promise<T> {
  return withSpan(tracer(), 'send whatsapp', send, {
    kind: SpanKind.CLIENT,
    attributes: { 'wahooks.connection.id': connectionId, 'wahooks.message.type': contentType },
  });
}
