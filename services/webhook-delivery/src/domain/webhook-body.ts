/** The bytes a receiver gets (docs/events.md): the WAHA envelope + connectionId, media URLs made public. */
import { payloadWithPublicMediaUrls, type WhatsAppEventPayload } from '@wahooks/contracts';

/**
 * The serialised body, without the internal `userId`, every message's media URL absolute (built from `media.file`
 * as the chats API and the event stream do); this exact string is stored, signed and sent.
 */
export function webhookBody(event: WhatsAppEventPayload, publicApiUrl: string): string {
  const { userId: _owner, connectionId, payload, ...rest } = event;
  void _owner;
  return JSON.stringify({
    ...rest,
    payload: payloadWithPublicMediaUrls(payload, publicApiUrl, connectionId),
    connectionId,
  });
}

/** The test event, exactly (docs/events.md): sent with X-WAHooks-Event: test, logged with eventType "test". */
export const testEventBody = (now = new Date()): string =>
  JSON.stringify({
    event: 'test',
    session: 'test',
    payload: { message: 'This is a test webhook event from WAHooks', timestamp: now.toISOString() },
  });
