/**
 * No client input makes a 500, and no error message echoes unbounded input (issue 10). The whole inbound stack
 * in this process: gateway, token, connection (on the emulator) and webhook-delivery on the real servers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { CONTACT, startInboundStack, type InboundStack } from './support/inbound-stack.js';

let env: TestEnv;
let stack: InboundStack;
let connectionId: string;
let phone: string;

beforeAll(async () => {
  env = await createTestEnv('e2e_bad_input');
  stack = await startInboundStack(env);
  ({ connectionId, phone } = await stack.link());
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.cleanup();
});

/** A raw request (the body as given, not JSON-encoded by the helper). */
async function raw(method: string, path: string, body?: string) {
  const res = await fetch(`${stack.gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

describe('client input that made a 500', () => {
  it('a NUL in a connection name: 400', async () => {
    const r = await stack.api('POST', '/api/connections', { name: 'shop\u0000name' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'body must not contain NUL (\\u0000) characters',
    });
    const patch = await stack.api('PATCH', `/api/connections/${connectionId}`, { name: '\u0000' });
    expect(patch.status).toBe(400);
  });

  it('?event=%00 on the logs route: 400', async () => {
    const hooks = await stack.api('GET', `/api/connections/${connectionId}/webhooks`);
    const webhookId: string = hooks.body[0].id;
    const r = await stack.api('GET', `/api/webhooks/${webhookId}/logs?event=%00`);
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('query must not contain NUL (\\u0000) characters');
    // behind the gateway too: the command's own schema refuses it
    const odd = await stack.api('GET', `/api/webhooks/${webhookId}/logs?event=${encodeURIComponent('a b\u0001')}`);
    expect(odd).toMatchObject({ status: 400, body: { message: 'event must be an event name' } });
  });

  it('CR/LF in an inbound media mimetype: the media is served (as opaque bytes), not a 500', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await stack.emulator.inbound({
      to: phone,
      from: CONTACT,
      type: 'image',
      data: png,
      mimetype: 'image/png\r\nX-Injected: yes',
    });
    const chat = `${CONTACT}@c.us`;
    let url = '';
    const until = Date.now() + 20_000;
    while (!url && Date.now() < until) {
      const messages = await stack.api('GET', `/api/connections/${connectionId}/chats/${chat}/messages`);
      url = messages.body?.find((m: { media?: { url?: string } }) => m.media?.url)?.media.url ?? '';
      if (!url) await new Promise((r) => setTimeout(r, 200));
    }
    expect(url).not.toBe('');
    const media = await fetch(`${stack.gateway.url}${new URL(url).pathname}`, {
      headers: { authorization: `Bearer ${stack.apiToken}` },
    });
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('application/octet-stream');
    expect(media.headers.get('x-injected')).toBeNull();
    expect(media.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(Buffer.from(await media.arrayBuffer()).equals(png)).toBe(true);
  }, 60_000);
});

describe('bounded bodies and messages', () => {
  it('a JSON route takes at most 1 MB: a 2 MB token body is a 413, nothing created', async () => {
    const r = await raw('POST', '/api/tokens', JSON.stringify({ name: 'big', pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).message).toBe('Request body is larger than the 1mb limit');
    const names = (await stack.api('GET', '/api/tokens')).body.map((t: { name: string }) => t.name);
    expect(names).not.toContain('big');
  });

  it('a thousand long unknown event names: the 400 names a few, clipped', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => `unknown-${i}-${'y'.repeat(500)}`);
    const r = await stack.api('POST', `/api/connections/${connectionId}/webhooks`, {
      url: 'https://example.com/hook',
      events,
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^unknown event name\(s\): unknown-0-y+…, .* and 995 more$/);
    expect(r.body.message.length).toBeLessThan(500);
  });

  it('an unknown route with a huge path: the 404 quotes a clipped path', async () => {
    const r = await raw('GET', `/api/${'z'.repeat(8000)}`);
    expect(r.status).toBe(404);
    expect(r.text.length).toBeLessThan(400);
  });
});
