import { describe, expect, it } from '@jest/globals';
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '../src/index.js';

describe('trustServerRootKey', () => {
  it("replaces the root public key Baileys checks a server's certificate chain against", () => {
    const root = Curve.generateKeyPair();
    trustServerRootKey(Buffer.from(root.public).toString('base64'));
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(Buffer.from(root.public))).toBe(true);
  });

  it('refuses anything but a base64 32-byte key, naming the variable, and leaves the trusted key as it was', () => {
    const before = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
    for (const bad of ['', 'c2hvcnQ=', Buffer.alloc(33, 1).toString('base64'), 'not base64 at all!!', '%%%%']) {
      expect(() => trustServerRootKey(bad)).toThrow(/WA_SERVER_ROOT_KEY must be a base64 Curve25519 public key/);
    }
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(before)).toBe(true);
  });
});
