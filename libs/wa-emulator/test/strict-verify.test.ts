import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Curve, generateSignalPubKey, getBinaryNodeChild, getBinaryNodeChildBuffer } from '@whiskeysockets/baileys';
import { SignalPeer } from '../src/signal-peers.js';
import { installStrictCurveVerify, startEmulator, trustEmulatorRoot, type Emulator } from '../src/index.js';
import { createClient, pairClient, waitFor } from './support/client.js';

describe('installStrictCurveVerify (Baileys 7.0.0-rc14 + libsignal 6 accept any signature)', () => {
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
    trustEmulatorRoot(bad.rootPublicKey);
    const client = createClient({ emulator: bad });
    await waitFor(() => client.updates.some((u) => u.qr), 'QR despite the bad chain');
    client.end();
  });

  it('Curve.verify honours bad signatures once installed', () => {
    const key = Curve.generateKeyPair();
    const other = Curve.generateKeyPair();
    const message = Buffer.from('signed');
    const signature = Curve.sign(key.private, message);
    installStrictCurveVerify();
    installStrictCurveVerify(); // idempotent
    expect(Curve.verify(key.public, message, signature)).toBe(true);
    expect(Curve.verify(other.public, message, signature)).toBe(false);
    expect(Curve.verify(key.public, Buffer.from('tampered'), signature)).toBe(false);
    expect(Curve.verify(key.public, message, Buffer.alloc(64))).toBe(false);
  });

  it('with the fix, the bad-chain emulator is refused while the good chain pairs and opens', async () => {
    installStrictCurveVerify();
    trustEmulatorRoot(bad.rootPublicKey);
    const refused = createClient({ emulator: bad });
    await waitFor(() => refused.closes.length > 0, 'refused');
    expect(refused.updates.some((u) => u.qr)).toBe(false);
    expect(refused.opens).toBe(0);
    const error = refused.updates.find((u) => u.connection === 'close')?.lastDisconnect?.error;
    expect(error?.message).toMatch(/intermediate certificate signature invalid/);

    trustEmulatorRoot(good.rootPublicKey);
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
      trustEmulatorRoot(second.rootPublicKey);
      const { client } = await pairClient(second);
      client.end();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    await expect(startEmulator({ rootPrivateKey: 'c2hvcnQ=' })).rejects.toThrow(/32 bytes/);
  });
});
