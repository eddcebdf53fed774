/** The bytes a receiver gets (docs/events.md): the WAHA envelope + connectionId, media URLs made public. */
import { withPublicMediaUrl, type WhatsAppEventPayload } from '@wahooks/contracts';

/**
 * Gives every message of a payload its absolute media URL: the payload itself (`message`, `message.any`, …)
 * and the two messages a `message.revoked` carries (`after`, `before`). Built from `media.file` by the same
 * function as the chats API, so both show the same URL.
 */
export function rewriteMediaUrl(payload: unknown, connectionId: string, publicApiUrl: string): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  let out = withPublicMediaUrl(payload as Record<string, unknown>, publicApiUrl, connectionId);
  for (const slot of ['after', 'before'] as const) {
    const shown = withPublicMediaUrl(out[slot], publicApiUrl, connectionId);
    if (shown !== out[slot]) out = { ...out, [slot]: shown }; // never change the caller's object
  }
  return out;
}

/** The serialised body, without the internal `userId`; this exact string is stored, signed and sent. */
export function webhookBody(event: WhatsAppEventPayload, publicApiUrl: string): string {
  const { userId: _owner, connectionId, payload, ...rest } = event;
  void _owner;
  return JSON.stringify({ ...rest, payload: rewriteMediaUrl(payload, connectionId, publicApiUrl), connectionId });
}

/** The test event, exactly (docs/events.md): sent with X-WAHooks-Event: test, logged with eventType "test". */
export const testEventBody = (now = new Date()): string =>
  JSON.stringify({
    event: 'test',
    session: 'test',
    payload: { message: 'This is a test webhook event from WAHooks', timestamp: now.toISOString() },
  });
