import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Curve, proto, type KeyPair } from '@whiskeysockets/baileys';

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Curve25519 key pair from 32 private bytes (clamped, so node's X25519 and libsignal's XEdDSA agree). */
export function keyPairFromPrivate(privateKey: Uint8Array): KeyPair {
  if (privateKey.length !== 32) throw new Error('a Curve25519 private key is 32 bytes');
  const priv = Buffer.from(privateKey);
  priv[0]! &= 248;
  priv[31]! &= 127;
  priv[31]! |= 64;
  const der = createPublicKey(
    createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, priv]), format: 'der', type: 'pkcs8' }),
  ).export({ format: 'der', type: 'spki' });
  return { private: priv, public: Buffer.from(der.subarray(der.length - 32)) };
}

/** The emulator's own "WhatsAppLongTerm1": root key pair plus the encoded CertChain presented in ServerHello. */
export interface ServerIdentity {
  root: KeyPair;
  serverStatic: KeyPair;
  certChain: Uint8Array;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A flaw in an otherwise correctly signed leaf certificate (security tests of the client's chain checks). */
export type LeafFault = 'wrong-key' | 'expired';

/**
 * Root → intermediate {serial 1, issuerSerial 0} → leaf {issuerSerial 1, key = server static}, as Baileys 7 verifies
 * it (noise-handler processHandshake). `badChain` signs the intermediate with a throw-away key instead of the root
 * that `root.public` advertises: a client that really verifies signatures must refuse it. `leafFault` keeps every
 * signature valid but names another key than the server's static key (`wrong-key`: a chain replayed by a server
 * that does not hold its private key) or ended its validity yesterday (`expired`).
 */
export function createServerIdentity(
  options: { badChain?: boolean; leafFault?: LeafFault; rootPrivateKey?: Uint8Array } = {},
): ServerIdentity {
  const root = options.rootPrivateKey ? keyPairFromPrivate(options.rootPrivateKey) : Curve.generateKeyPair();
  const serverStatic = Curve.generateKeyPair();
  const signer = options.badChain ? Curve.generateKeyPair() : root;
  const intermediate = Curve.generateKeyPair();
  const Details = proto.CertChain.NoiseCertificate.Details;
  const t = nowSeconds();
  const interDetails = Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: t - 3600,
    notAfter: t + 365 * 86400,
  }).finish();
  const expired = options.leafFault === 'expired';
  const leafDetails = Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: options.leafFault === 'wrong-key' ? Curve.generateKeyPair().public : serverStatic.public,
    notBefore: expired ? t - 31 * 86400 : t - 3600,
    notAfter: expired ? t - 86400 : t + 30 * 86400,
  }).finish();
  const certChain = proto.CertChain.encode({
    intermediate: { details: interDetails, signature: Curve.sign(signer.private, interDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
  return { root, serverStatic, certChain };
}
