import { createRequire } from 'node:module';
import { Curve } from '@whiskeysockets/baileys';

type VerifySignature = (pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/**
 * Security fix for Baileys 7.0.0-rc14 + libsignal 6.0.0: Baileys' Curve.verify wraps libsignal's verifySignature in
 * try { …; return true } catch { return false }, but libsignal 6 *returns* false for a bad signature instead of
 * throwing, so every well-formed signature "verifies" (server certificate chain, ADV account signature).
 * This replaces Curve.verify with one that honours the boolean. Baileys reads Curve.verify at call time, so call
 * this once at startup, before connecting. Idempotent.
 */
export function installStrictCurveVerify(): void {
  const curve = Curve as { verify: VerifySignature; strictVerifyInstalled?: boolean };
  if (curve.strictVerifyInstalled) return;
  // the libsignal copy Baileys itself depends on (CommonJS)
  const require = createRequire(import.meta.url);
  const baileysRequire = createRequire(require.resolve('@whiskeysockets/baileys'));
  const libsignalCurve = baileysRequire('libsignal/src/curve.js') as { verifySignature: VerifySignature };
  curve.verify = (pubKey, message, signature) => {
    try {
      // libsignal wants the 33-byte DJB-prefixed key (0x05 ‖ key), as Baileys' generateSignalPubKey builds it
      const prefixed = pubKey.length === 33 ? pubKey : Buffer.concat([Buffer.from([5]), pubKey]);
      return libsignalCurve.verifySignature(prefixed, message, signature) === true;
    } catch {
      return false;
    }
  };
  curve.strictVerifyInstalled = true;
}
