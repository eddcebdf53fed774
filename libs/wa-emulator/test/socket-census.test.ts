/** The per-account socket census: open now, the high-water mark, and the history, by method and control API. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, pairClient, waitFor } from './support/client.js';

describe('socket census', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
    trustServerRootKey(emulator.rootPublicKey);
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('one client: one socket after pairing (the registration socket is not counted), none after it ends', async () => {
    const { client, phone } = await pairClient(emulator);
    expect(emulator.socketsOpen(phone)).toBe(1);
    expect(emulator.maxConcurrentSockets(phone)).toBe(1);
    client.end();
    await waitFor(() => emulator.socketsOpen(phone) === 0, 'socket closed');
    // a reconnect later is a new socket, still never two at once
    const again = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => again.opens > 0, 'reconnected');
    expect(emulator.socketsOpen(phone)).toBe(1);
    again.end();
    await waitFor(() => emulator.socketsOpen(phone) === 0, 'second socket closed');
    const { maxConcurrent, history } = emulator.socketCount(phone);
    expect(maxConcurrent).toBe(1);
    expect(history.map((e) => [e.event, e.open])).toEqual([
      ['open', 1],
      ['close', 0],
      ['open', 1],
      ['close', 0],
    ]);
    expect(history[0]!.connection).not.toBe(history[2]!.connection);
    expect(history.map((e) => e.at)).toEqual([...history.map((e) => e.at)].sort((a, b) => a - b));
  });

  it('a second client logging in while the first is open counts 2, even though the first is then replaced', async () => {
    const { client, phone } = await pairClient(emulator);
    client.autoRestart = false;
    const twin = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => twin.opens > 0, 'twin open');
    await waitFor(() => client.closes.at(-1) === DisconnectReason.connectionReplaced, 'first replaced (440)');
    await waitFor(() => emulator.socketsOpen(phone) === 1, 'back to one socket');
    expect(emulator.maxConcurrentSockets(phone)).toBe(2);
    const { history } = emulator.socketCount(phone);
    expect(history.map((e) => [e.event, e.open])).toEqual([
      ['open', 1],
      ['open', 2],
      ['close', 1],
    ]);
    expect(history[2]!.connection).toBe(history[0]!.connection); // the first one went
    twin.end();
  });

  it('GET /control/sockets?phone= answers the same; bad or missing phone → 400', async () => {
    const { client, phone } = await pairClient(emulator);
    const res = await fetch(`${emulator.baseUrl}/control/sockets?phone=${phone}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { phone: string; open: number; maxConcurrent: number; history: unknown[] };
    expect(body).toEqual({ phone, open: 1, maxConcurrent: 1, history: emulator.socketCount(phone).history });
    client.end();

    const unknown = await fetch(`${emulator.baseUrl}/control/sockets?phone=4915799999999`);
    expect(await unknown.json()).toEqual({ phone: '4915799999999', open: 0, maxConcurrent: 0, history: [] });
    for (const query of ['', '?phone=', '?phone=+1555']) {
      const bad = await fetch(`${emulator.baseUrl}/control/sockets${query}`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
  });
});
