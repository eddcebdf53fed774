/**
 * Both signature schemes over the exact bytes sent.
 * WAHooks (docs/webhooks.md): key = the 64-hex secret as UTF-8 text; sha256=<hex HMAC(ts + "." + body)>.
 * Standard Webhooks: key = base64-decode(secret) (hex is valid base64: 48 bytes), so the same secret works
 * unchanged in `new Webhook(secret).verify(body, headers)`; v1,<base64 HMAC(id + "." + ts + "." + body)>,
 * space-separated when several secrets are live (rotation).
 */
import { createHmac } from 'node:crypto';

export const USER_AGENT = 'WAHooks-Webhooks/1.0';

export const wahooksSignature = (secret: string, ts: string, body: string): string =>
  `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${ts}.${body}`).digest('hex')}`;

export const standardSignature = (secrets: string[], msgId: string, ts: string, body: string): string =>
  secrets
    .map(
      (s) => `v1,${createHmac('sha256', Buffer.from(s, 'base64')).update(`${msgId}.${ts}.${body}`).digest('base64')}`,
    )
    .join(' ');

export interface SignInput {
  eventType: string;
  msgId: string; // webhook-id: the event id, stable across retries and replays
  body: string;
  secret: string;
  previousSecret?: string | null; // still inside its rotation grace period
  nowMs?: number;
}

export function signedHeaders(input: SignInput): Record<string, string> {
  const ts = Math.floor((input.nowMs ?? Date.now()) / 1000).toString(); // recomputed on every attempt
  const secrets = input.previousSecret ? [input.secret, input.previousSecret] : [input.secret];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-wahooks-event': input.eventType,
    'x-wahooks-timestamp': ts,
    'x-wahooks-signature': wahooksSignature(input.secret, ts, input.body),
    'webhook-id': input.msgId,
    'webhook-timestamp': ts,
    'webhook-signature': standardSignature(secrets, input.msgId, ts, input.body),
  };
  // The WAHooks header carries one signature (receivers compare it as a string), so the old secret's goes in
  // its own header during a rotation.
  if (input.previousSecret) {
    headers['x-wahooks-signature-previous'] = wahooksSignature(input.previousSecret, ts, input.body);
  }
  return headers;
}
