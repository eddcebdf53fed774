/** The bytes a receiver gets: SPEC §4.2 envelope + connectionId (§9 #10), media URL rewritten (§9 #11). */
import type { WhatsAppEventPayload } from '@wahooks/contracts';

/** A malformed escape (`%E0%A4%A`) must not throw: that would fail the fan-out of the event for every webhook. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Rewrites `payload.media.url` (an internal worker URL) to the public media proxy of the connection. */
export function rewriteMediaUrl(payload: unknown, connectionId: string, publicApiUrl: string): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const media = (payload as { media?: unknown }).media;
  if (!media || typeof media !== 'object') return payload;
  const url = (media as { url?: unknown }).url;
  if (typeof url !== 'string' || !url) return payload;
  let file: string;
  try {
    file = new URL(url, 'http://worker.invalid').pathname.split('/').filter(Boolean).pop() ?? '';
  } catch {
    return payload;
  }
  if (!file) return payload;
  const base = publicApiUrl.replace(/\/+$/, '');
  const rewritten = `${base}/api/connections/${connectionId}/media/${encodeURIComponent(decodeSegment(file))}`;
  return { ...payload, media: { ...media, url: rewritten } };
}

/** The serialised body, without the internal `userId`; this exact string is stored, signed and sent. */
export function webhookBody(event: WhatsAppEventPayload, publicApiUrl: string): string {
  const { userId: _owner, connectionId, payload, ...rest } = event;
  void _owner;
  return JSON.stringify({ ...rest, payload: rewriteMediaUrl(payload, connectionId, publicApiUrl), connectionId });
}

/** SPEC §4.6, exact: sent with X-WAHooks-Event: test, logged with eventType "test". */
export const testEventBody = (now = new Date()): string =>
  JSON.stringify({
    event: 'test',
    session: 'test',
    payload: { message: 'This is a test webhook event from WAHooks', timestamp: now.toISOString() },
  });
