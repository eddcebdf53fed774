import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, waitFor } from './support/client.js';

const refOf = (qr: string): string => qr.replace(/^.*#/, '').split(',')[0]!;

describe('QR ref rotation (short timings)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // Baileys' qrTimeout option applies to every ref, so the first ref gets the same 300 ms here
    emulator = await startEmulator({ qr: { firstRefMs: 300, nextRefMs: 300, maxRefs: 4 } });
    trustServerRootKey(emulator.rootPublicKey);
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('shows every ref in turn, then gives up with 408 when none was scanned', async () => {
    // the client's own timer, set to match the emulator's schedule (real life: 60 s, then 20 s)
    const client = createClient({ emulator, qrTimeout: 300 });
    await waitFor(() => client.closes.length > 0, 'QR timeout', 10_000);
    const refs = client.updates.filter((u) => u.qr).map((u) => refOf(u.qr!));
    expect(refs).toHaveLength(4);
    expect(new Set(refs).size).toBe(4);
    expect(client.closes[0]).toBe(DisconnectReason.timedOut);
  });

  it('a ref scanned after it expired is refused; the current one pairs', async () => {
    const slow = await startEmulator({ qr: { firstRefMs: 1000, nextRefMs: 1000, maxRefs: 3 } });
    try {
      trustServerRootKey(slow.rootPublicKey);
      const qrs: string[] = [];
      const client = createClient({ emulator: slow, qrTimeout: 1000, onQr: (qr) => qrs.push(qr) });
      await waitFor(() => qrs.length >= 2, 'second QR', 5000);
      // ~2000 ms: the first ref expired at 1500 (1000 + 500 grace), the second lives until 2500
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await expect(slow.scan(qrs[0]!)).rejects.toThrow(/expired/);
      const { phone } = await slow.scan(qrs[1]!);
      await waitFor(() => client.opens > 0, 'open');
      expect(client.creds.me?.id.startsWith(`${phone}:`)).toBe(true);
      client.end();
    } finally {
      trustServerRootKey(emulator.rootPublicKey);
      await slow.close();
    }
  });

  it('rejects QR strings nobody is showing', async () => {
    await expect(emulator.scan('not a qr')).rejects.toThrow(/not a WhatsApp pairing QR/);
    await expect(emulator.scan('https://wa.me/settings/linked_devices#2@nope,AAAA,BBBB,CCCC,1')).rejects.toThrow(
      /no connected client/,
    );
  });
});
