import { describe, expect, it } from '@jest/globals';
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { installStrictCurveVerify, trustServerRootKey } from '../src/index.js';
import { clientHandshake } from './support/noise-handshake.js';

// Baileys 7.0.0-rc14 + libsignal 6.0.0: Curve.verify accepts any well-formed signature. The patch is process-wide
// and cannot be undone, so the first test runs before it and shows the hole (if it fails, Baileys fixed the bug
// and the patch can go); every later one runs with the real check.
describe('installStrictCurveVerify', () => {
  const root = Curve.generateKeyPair();
  const impostor = Curve.generateKeyPair();
  const whatsappRoot = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY); // read before any test trusts another root

  it('without it, Baileys accepts a server chain not signed by the trusted root (the hole)', () => {
    trustServerRootKey(Buffer.from(root.public).toString('base64'));
    const message = Buffer.from('signed');
    expect(Curve.verify(root.public, message, Curve.sign(impostor.private, message))).toBe(true);
    expect(() => clientHandshake(impostor)).not.toThrow();
  });

  it('makes Curve.verify honour bad signatures, and is idempotent', () => {
    installStrictCurveVerify();
    installStrictCurveVerify();
    const message = Buffer.from('signed');
    const signature = Curve.sign(root.private, message);
    expect(Curve.verify(root.public, message, signature)).toBe(true);
    expect(Curve.verify(impostor.public, message, signature)).toBe(false);
    expect(Curve.verify(root.public, Buffer.from('tampered'), signature)).toBe(false);
    expect(Curve.verify(root.public, message, Buffer.alloc(64))).toBe(false);
    // a malformed key or signature is a refusal, not a throw
    expect(Curve.verify(Buffer.alloc(5), message, signature)).toBe(false);
    expect(Curve.verify(root.public, message, Buffer.alloc(3))).toBe(false);
  });

  it("then Baileys' own handshake refuses a chain whose intermediate the trusted root did not sign", () => {
    installStrictCurveVerify();
    trustServerRootKey(Buffer.from(root.public).toString('base64'));
    expect(() => clientHandshake(impostor)).toThrow(/noise intermediate certificate signature invalid/);
    expect(() => clientHandshake(root)).not.toThrow();
  });

  it("and WhatsApp's own root, trusted again, refuses a chain from any other root", () => {
    installStrictCurveVerify();
    trustServerRootKey(whatsappRoot.toString('base64'));
    expect(() => clientHandshake(root)).toThrow(/noise intermediate certificate signature invalid/);
  });
});
