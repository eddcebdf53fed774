/**
 * The Content-Type of inbound media served back to the tenant. The mimetype comes from the WhatsApp message,
 * i.e. from the sender: it may hold CR/LF (node refuses such a header: a 500) or name an active type. Only a
 * well-formed `type/subtype` with printable parameters is kept; anything else is served as opaque bytes.
 */
const TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

export function mediaContentType(mimetype: string | undefined): string {
  if (!mimetype || mimetype.length > 255 || !/^[\x20-\x7e]+$/.test(mimetype)) return 'application/octet-stream';
  return TYPE.test(mimetype.split(';')[0]!.trim()) ? mimetype : 'application/octet-stream';
}

/** Media is the sender's content on our origin: no script, no plugin, no same-origin access if opened. */
export const MEDIA_SECURITY_HEADERS = { 'Content-Security-Policy': "default-src 'none'; sandbox" } as const;
