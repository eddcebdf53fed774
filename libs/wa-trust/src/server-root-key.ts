import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

/**
 * Make Baileys accept a server certificate chain rooted in `rootKeyB64` instead of WhatsApp's own root
 * (the connection service does this only when WA_SERVER_ROOT_KEY is set, i.e. against a test server such as the
 * emulator). Baileys reads WA_CERT_DETAILS.PUBLIC_KEY during each handshake, so call this before connecting.
 * Only one copy of Baileys must be loaded: this patches the copy `@whiskeysockets/baileys` resolves to.
 */
export function trustServerRootKey(rootKeyB64: string): void {
  const key = Buffer.from(rootKeyB64, 'base64');
  if (key.length !== 32 || key.toString('base64') !== rootKeyB64.trim()) {
    throw new Error('WA_SERVER_ROOT_KEY must be a base64 Curve25519 public key (32 bytes)');
  }
  (WA_CERT_DETAILS as { PUBLIC_KEY: Uint8Array }).PUBLIC_KEY = key;
}
