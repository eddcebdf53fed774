import { Curve, proto, type KeyPair } from '@whiskeysockets/baileys';

/** The emulator's own "WhatsAppLongTerm1": root key pair plus the encoded CertChain presented in ServerHello. */
export interface ServerIdentity {
  root: KeyPair;
  serverStatic: KeyPair;
  certChain: Uint8Array;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Root → intermediate {serial 1, issuerSerial 0} → leaf {issuerSerial 1, key = server static}, as Baileys 7 verifies
 * it (noise-handler processHandshake). `badChain` signs the intermediate with a throw-away key instead of the root
 * that `root.public` advertises: a client that really verifies signatures must refuse it.
 */
export function createServerIdentity(options: { badChain?: boolean } = {}): ServerIdentity {
  const root = Curve.generateKeyPair();
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
  const leafDetails = Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: t - 3600,
    notAfter: t + 30 * 86400,
  }).finish();
  const certChain = proto.CertChain.encode({
    intermediate: { details: interDetails, signature: Curve.sign(signer.private, interDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
  return { root, serverStatic, certChain };
}
