/**
 * One `connection.whatsapp.event` read from the stream, decoded once per gateway however many sockets get it, and
 * the bytes those sockets get: `{id, event, connectionId, payload, timestamp}` (no `userId`), media URLs absolute.
 */
import { payloadWithPublicMediaUrls, WhatsAppEvent, WhatsAppEventPayload } from '@wahooks/contracts';

export interface StreamEvent {
  id: string;
  userId: string; // routing only: never sent
  connectionId: string;
  event: string; // the WAHA event name, e.g. "message"
  /** The socket message, serialised on first use and shared by every socket (ws sends a Buffer without copying). */
  bytes(): Buffer;
}

/** The event inside a stream message's body (the broker's envelope), or undefined for anything else. */
export function decodeStreamEvent(body: Buffer, publicApiUrl: string): StreamEvent | undefined {
  let envelope: { type?: unknown; version?: unknown; payload?: unknown };
  try {
    envelope = JSON.parse(body.toString('utf8')) as typeof envelope;
  } catch {
    return undefined;
  }
  if (envelope?.type !== WhatsAppEvent.type || envelope.version !== WhatsAppEvent.version) return undefined;
  const parsed = WhatsAppEventPayload.safeParse(envelope.payload);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  let bytes: Buffer | undefined;
  return {
    id: e.id,
    userId: e.userId,
    connectionId: e.connectionId,
    event: e.event,
    bytes: () =>
      (bytes ??= Buffer.from(
        JSON.stringify({
          id: e.id,
          event: e.event,
          connectionId: e.connectionId,
          payload: payloadWithPublicMediaUrls(e.payload, publicApiUrl, e.connectionId),
          timestamp: new Date(e.timestamp).toISOString(),
        }),
      )),
  };
}
