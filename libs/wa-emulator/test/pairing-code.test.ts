import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, waitFor, type TestClient } from './support/client.js';

describe('pairing by phone-number code', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
    trustServerRootKey(emulator.rootPublicKey);
  });
  afterAll(async () => {
    await emulator.close();
  });

  const requestCode = async (phone: string): Promise<{ client: TestClient; code: string }> => {
    let code: string | undefined;
    const client = createClient({
      emulator,
      onQr: (_qr, c) => {
        // like the README says: ask for a code once the connection is up (first QR)
        if (code === undefined) {
          code = '';
          void c.sock.requestPairingCode(phone).then((value) => (code = value));
        }
      },
    });
    await waitFor(() => code, 'pairing code');
    return { client, code: code! };
  };

  it('the code typed into the phone links the client (companion_hello → primary_hello → companion_finish → 515 → open)', async () => {
    const { client, code } = await requestCode('4917612345678');
    expect(code).toMatch(/^[0-9A-Z]{8}$/);
    const result = await emulator.enterPairingCode({
      phone: '4917612345678',
      code: `${code.slice(0, 4)}-${code.slice(4)}`,
    });
    expect(result).toMatchObject({ phone: '4917612345678', jid: '4917612345678@s.whatsapp.net' });
    await waitFor(() => client.opens > 0, 'open');
    expect(client.creds.me?.id).toMatch(/^4917612345678:\d+@s\.whatsapp\.net$/);
    expect(client.closes).toEqual([515]);
    client.end();
  });

  it('a wrong code is refused, and the right one still works afterwards', async () => {
    const { client, code } = await requestCode('4917687654321');
    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
    await expect(emulator.enterPairingCode({ phone: '4917687654321', code: wrong })).rejects.toThrow(
      /pairing code is wrong/,
    );
    await expect(emulator.enterPairingCode({ phone: '4917600000000', code })).rejects.toThrow(
      /no connected client is waiting/,
    );
    await expect(emulator.enterPairingCode({ phone: '4917687654321', code: 'short' })).rejects.toThrow(/8 characters/);
    expect(client.opens).toBe(0);
    await emulator.enterPairingCode({ phone: '4917687654321', code });
    await waitFor(() => client.opens > 0, 'open after a retry');
    client.end();
  });
});
