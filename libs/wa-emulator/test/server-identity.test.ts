import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Curve, generateSignalPubKey, getBinaryNodeChild, getBinaryNodeChildBuffer } from '@whiskeysockets/baileys';
import { installStrictCurveVerify, trustServerRootKey } from '@wahooks/wa-trust';
import { SignalPeer } from '../src/signal-peers.js';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, pairClient, waitFor } from './support/client.js';

// The emulator's server identity (root key, certificate chain, prekey signatures) as a real Baileys client checks it.
// Baileys 7.0.0-rc14 + libsignal 6 accept any signature until installStrictCurveVerify() (libs/wa-trust) is in place,
// so the first test runs before it and shows the hole; every later one has the real check.
describe('emulator server identity under real signature checks', () => {
  let good: Emulator;
  let bad: Emulator;
  beforeAll(async () => {
    good = await startEmulator();
    bad = await startEmulator({ badChain: true });
  });
  afterAll(async () => {
    await Promise.all([good.close(), bad.close()]);
  });

  it('without the fix, a chain not signed by the trusted root is accepted (the hole)', async () => {
    trustServerRootKey(bad.rootPublicKey);
    const client = createClient({ emulator: bad });
    await waitFor(() => client.updates.some((u) => u.qr), 'QR despite the bad chain');
    client.end();
  });

  it('with the fix, the bad-chain emulator is refused while the good chain pairs and opens', async () => {
    installStrictCurveVerify();
    trustServerRootKey(bad.rootPublicKey);
    const refused = createClient({ emulator: bad });
    await waitFor(() => refused.closes.length > 0, 'refused');
    expect(refused.updates.some((u) => u.qr)).toBe(false);
    expect(refused.opens).toBe(0);
    const error = refused.updates.find((u) => u.connection === 'close')?.lastDisconnect?.error;
    expect(error?.message).toMatch(/intermediate certificate signature invalid/);

    trustServerRootKey(good.rootPublicKey);
    const { client } = await pairClient(good);
    expect(client.opens).toBeGreaterThan(0);
    client.end();
  });

  it('prekey bundles the emulator hands out carry valid signed-prekey signatures (libsignal 6 never checks them)', () => {
    installStrictCurveVerify();
    const peer = new SignalPeer('4915700000099', '100000000000999');
    const bundle = peer.bundleNode('100000000000999@lid');
    const identity = getBinaryNodeChildBuffer(bundle, 'identity')!;
    const skey = getBinaryNodeChild(bundle, 'skey')!;
    const value = getBinaryNodeChildBuffer(skey, 'value')!;
    const signature = getBinaryNodeChildBuffer(skey, 'signature')!;
    expect(Curve.verify(identity, generateSignalPubKey(value), signature)).toBe(true);
    expect(Curve.verify(identity, generateSignalPubKey(Curve.generateKeyPair().public), signature)).toBe(false);
  });

  it('a fixed root private key gives the same root public key on every start, and a verifiable chain', async () => {
    installStrictCurveVerify();
    const rootPrivateKey = Buffer.alloc(32, 7).toString('base64');
    const first = await startEmulator({ rootPrivateKey });
    const second = await startEmulator({ rootPrivateKey });
    try {
      expect(first.rootPublicKey).toBe(second.rootPublicKey);
      trustServerRootKey(second.rootPublicKey);
      const { client } = await pairClient(second);
      client.end();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    await expect(startEmulator({ rootPrivateKey: 'c2hvcnQ=' })).rejects.toThrow(/32 bytes/);
  });
});
