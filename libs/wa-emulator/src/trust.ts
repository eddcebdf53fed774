import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

/**
 * Client side (tests, and the connection service when WA_SERVER_ROOT_KEY is set): make Baileys accept a server
 * certificate chain rooted in `rootKeyB64` instead of WhatsApp's. Baileys reads WA_CERT_DETAILS.PUBLIC_KEY during
 * each handshake, so call this before connecting. Only one copy of Baileys must be loaded.
 */
export function trustEmulatorRoot(rootKeyB64: string): void {
  const key = Buffer.from(rootKeyB64, 'base64');
  if (key.length !== 32 || key.toString('base64') !== rootKeyB64.trim()) {
    throw new Error('WA_SERVER_ROOT_KEY must be a base64 Curve25519 public key (32 bytes)');
  }
  (WA_CERT_DETAILS as { PUBLIC_KEY: Uint8Array }).PUBLIC_KEY = key;
}
