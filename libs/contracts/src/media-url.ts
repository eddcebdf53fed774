/**
 * The one place a media URL is built. The gateway serves an inbound media file at
 * `GET /api/connections/:id/media/:file` (the connection owner's bearer token required).
 *
 * A WAHA message inside a `connection.whatsapp.event` carries `media.file` (the file name, chosen and parsed
 * only by the connection service) next to `media.url` (the path on the public API). Whatever shows a message
 * to a customer (webhook bodies, the event stream, the chats API) passes it through `withPublicMediaUrl` (a whole
 * event payload: `payloadWithPublicMediaUrls`), so all give the same absolute URL and none parses a URL.
 */

/** The path of one media file on the public API; both segments are percent-encoded. */
export function mediaPath(connectionId: string, file: string): string {
  return `/api/connections/${encodeURIComponent(connectionId)}/media/${encodeURIComponent(file)}`;
}

/** `mediaPath` under the gateway's public base URL (`PUBLIC_API_URL`; a trailing slash is ignored). */
export function publicMediaUrl(publicApiUrl: string, connectionId: string, file: string): string {
  return `${publicApiUrl.replace(/\/+$/, '')}${mediaPath(connectionId, file)}`;
}

/**
 * `media` of a WAHA message as the connection service emits it: a downloadable file, or (when its location or
 * declared size is refused, e.g. not one of WhatsApp's media hosts) no URL and the reason in `error`.
 */
export type EventMedia =
  | {
      url: string; // mediaPath(connectionId, file)
      file: string;
      mimetype: string | null;
      filename: string | null; // the sender's name of the file, if any
      error: null;
    }
  | { url: null; mimetype: string | null; filename: string | null; error: string };

/**
 * A WAHA message as a customer sees it: `media.url` absolute, `media.file` dropped (not a WAHA field).
 * Anything without `media.file` (no media, or not a message) comes back unchanged.
 */
export function withPublicMediaUrl<T>(message: T, publicApiUrl: string, connectionId: string): T {
  if (!message || typeof message !== 'object') return message;
  const media = (message as { media?: unknown }).media;
  if (!media || typeof media !== 'object') return message;
  const { file, ...rest } = media as { file?: unknown };
  if (typeof file !== 'string' || !file) return message;
  return { ...message, media: { ...rest, url: publicMediaUrl(publicApiUrl, connectionId, file) } };
}

/**
 * Every message of an event payload with its public media URL (`withPublicMediaUrl`): the payload itself (`message`,
 * `message.any`, …) and the two messages a `message.revoked` carries (`after`, `before`). Webhook bodies and the
 * gateway's event stream both show payloads through it. Never changes its argument.
 */
export function payloadWithPublicMediaUrls(payload: unknown, publicApiUrl: string, connectionId: string): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  let out = withPublicMediaUrl(payload as Record<string, unknown>, publicApiUrl, connectionId);
  for (const slot of ['after', 'before'] as const) {
    const shown = withPublicMediaUrl(out[slot], publicApiUrl, connectionId);
    if (shown !== out[slot]) out = { ...out, [slot]: shown };
  }
  return out;
}
