import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, pairClient, waitFor } from './support/client.js';

describe('QR pairing and login', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
    trustServerRootKey(emulator.rootPublicKey);
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('shows a QR, pairs when it is scanned, restarts (515) and opens', async () => {
    const { client, phone } = await pairClient(emulator);
    expect(client.updates.some((u) => typeof u.qr === 'string' && u.qr.includes('#'))).toBe(true);
    expect(client.closes).toEqual([515]);
    expect(client.creds.me?.id).toMatch(new RegExp(`^${phone}:\\d+@s\\.whatsapp\\.net$`));
    expect(client.creds.me?.lid).toMatch(/@lid$/);
    expect(emulator.accounts()).toEqual([{ phone, jid: `${phone}@s.whatsapp.net`, connected: true, loggedOut: false }]);
    client.end();
  });

  it('reconnects with saved credentials without a QR', async () => {
    const { client, phone } = await pairClient(emulator, '4915112345678');
    client.end();
    await waitFor(() => !emulator.accounts().find((a) => a.phone === phone)?.connected, 'server saw the close');
    const again = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => again.opens > 0, 'open with saved creds');
    expect(again.updates.some((u) => u.qr)).toBe(false);
    await waitFor(() => again.updates.some((u) => u.receivedPendingNotifications), 'offline notice');
    again.end();
  });

  it('refuses a login with unknown credentials (401)', async () => {
    const { client } = await pairClient(emulator);
    client.end();
    // same account and device, but a Noise key the server never saw
    const stranger = createClient({ emulator, creds: { ...client.creds, noiseKey: client.creds.signedIdentityKey } });
    await waitFor(() => stranger.closes.length > 0, 'close');
    expect(stranger.closes[0]).toBe(401);
  });
});
