/**
 * Pairing by phone-number code and the session.status events, end to end: POST …/pair-code makes the real Baileys
 * client send `link_code_companion_reg` (companion_hello), which the emulator checks as the phone does (it unwraps
 * the companion's key with the code, and refuses a wrong one); typing the code on the emulated phone links the
 * connection as a QR would; every status change reaches the webhook receiver as `session.status`, including the
 * phone unlinking the device (FAILED).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startParityStack, type ParityStack } from './support/parity-stack.js';

const PHONE = '4917612345601';

let env: TestEnv;
let stack: ParityStack;

beforeAll(async () => {
  env = await createTestEnv('e2e_parity_pairing');
  stack = await startParityStack(env);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.cleanup();
});

const statuses = (connectionId: string) =>
  stack.events(connectionId, 'session.status').map((e) => e.payload.status as string);

describe('pairing by code', () => {
  it('refuses malformed numbers with a 400 and asks WhatsApp nothing', async () => {
    const id = await stack.newConnection('pair-bad');
    for (const [body, message] of [
      [{ phoneNumber: '+49 176 1234 5602 99 99' }, /phoneNumber must be a phone number/],
      [{}, 'phoneNumber is required'],
      [{ phoneNumber: '12345' }, /phoneNumber must be a phone number with its country code/],
      [{ phoneNumber: '+49 176 abc' }, /phoneNumber must be a phone number/],
      [{ phoneNumber: 4917612345601 }, /phoneNumber must be a phone number/],
      [{ phoneNumber: '0176123456789' }, /phoneNumber must be a phone number/],
    ] as const) {
      const r = await stack.api('POST', `/api/connections/${id}/pair-code`, body);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(r.body.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    }
    const notMine = await stack.api('POST', `/api/connections/not-a-uuid/pair-code`, { phoneNumber: PHONE });
    expect(notMine.status).toBe(400);
    expect(notMine.body.message).toBe('Invalid connection id');
    // no phone is waiting for a code: nothing reached WhatsApp
    await expect(stack.emulator.enterPairingCode({ phone: '4917612345602', code: 'ABCDEFGH' })).rejects.toThrow(
      /no connected client is waiting/,
    );
  });

  it('gives the code the phone asks for; typing it links the connection; session.status follows', async () => {
    const id = await stack.newConnection('pair-code');
    const answer = await stack.until('a pairing code', async () => {
      const r = await stack.api('POST', `/api/connections/${id}/pair-code`, { phoneNumber: `+${PHONE}` });
      if (r.status === 503)
        expect(r.headers.get('retry-after')).toBeTruthy(); // the session is starting
      else expect(r.status).toBe(201);
      return r.status === 201 && r.body;
    });
    expect(answer).toEqual({ code: expect.stringMatching(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/) });

    // a wrong code is refused by the phone, as WhatsApp does (the companion's key does not unwrap)
    const wrong = answer.code.startsWith('A') ? `B${answer.code.slice(1)}` : `A${answer.code.slice(1)}`;
    await expect(stack.emulator.enterPairingCode({ phone: PHONE, code: wrong })).rejects.toThrow(/wrong/);
    const linked = await stack.emulator.enterPairingCode({ phone: PHONE, code: answer.code });
    expect(linked).toMatchObject({ phone: PHONE });

    const row = await stack.until('connected', async () => {
      const r = await stack.api('GET', `/api/connections/${id}`);
      return r.body?.status === 'connected' && r.body;
    });
    expect(row.phoneNumber).toBe(PHONE);
    expect((await stack.api('GET', `/api/connections/${id}/me`)).body).toMatchObject({ id: `${PHONE}@c.us` });

    await stack.until('session.status WORKING at the webhook', () => statuses(id).includes('WORKING'));
    expect(statuses(id)).toEqual(['STARTING', 'SCAN_QR_CODE', 'WORKING']);
    const working = stack.events(id, 'session.status').at(-1)!;
    expect(working).toMatchObject({
      event: 'session.status',
      connectionId: id,
      me: { id: `${PHONE}@c.us` },
      payload: {
        status: 'WORKING',
        statuses: [
          { status: 'STARTING', timestamp: expect.any(Number) },
          { status: 'SCAN_QR_CODE', timestamp: expect.any(Number) },
          { status: 'WORKING', timestamp: expect.any(Number) },
        ],
      },
    });

    // linked now: no second code
    const again = await stack.api('POST', `/api/connections/${id}/pair-code`, { phoneNumber: PHONE });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      message: expect.stringMatching(/already linked/),
    });

    // the phone unlinks the device: FAILED reaches the webhook without anybody polling
    stack.emulator.fault({ phone: PHONE, kind: 'logout' });
    await stack.until('session.status FAILED at the webhook', () => statuses(id).includes('FAILED'));
    expect(stack.events(id, 'session.status').at(-1)!.payload).toMatchObject({
      status: 'FAILED',
      statuses: [{ status: 'SCAN_QR_CODE' }, { status: 'WORKING' }, { status: 'FAILED' }],
    });
    expect((await stack.api('GET', `/api/connections/${id}`)).body.status).toBe('failed');
  }, 120_000);
});
