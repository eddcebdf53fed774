import { Curve, proto } from '@whiskeysockets/baileys';

type SharedKey = (privateKey: Uint8Array, publicKey: Uint8Array) => Buffer;
type DecodeChain = (reader: Uint8Array, length?: number) => proto.CertChain;

/** Clock skew tolerated on both validity dates, seconds. */
export const CERT_CLOCK_SKEW_S = 300;

/**
 * Security fix for Baileys 7.0.0-rc14: its Noise handshake checks the signatures of the server's certificate chain
 * (once installStrictCurveVerify() is in place) but neither that the leaf certificate names the server's static key
 * nor the validity dates, so any captured chain replays forever, from any server. This adds both checks.
 *
 * Baileys' processHandshake is one synchronous run: `Curve.sharedKey(ephemeral, serverStatic)` (the decrypted
 * static key), then `proto.CertChain.decode(payload)`. Both are read at call time from shared objects, so we wrap
 * them: the first remembers the last peer key it saw, the second refuses a chain whose leaf names another key or
 * whose leaf or intermediate is outside its dates (± CERT_CLOCK_SKEW_S). Nothing can run between the two calls
 * (no await), so the remembered key is this handshake's. The error ends that socket like Baileys' own signature
 * errors do (a Boom-like 400). Call once at startup, before connecting. Idempotent.
 */
export function installServerCertChecks(now: () => number = Date.now): void {
  const curve = Curve as { sharedKey: SharedKey; certChecksInstalled?: boolean };
  if (curve.certChecksInstalled) return;
  const chain = proto.CertChain as unknown as { decode: DecodeChain };
  const sharedKey = curve.sharedKey;
  const decode = chain.decode.bind(proto.CertChain);
  let lastPeerKey: Uint8Array | undefined;
  curve.sharedKey = (privateKey, publicKey) => {
    lastPeerKey = publicKey;
    return sharedKey(privateKey, publicKey);
  };
  chain.decode = (reader, length) => {
    const decoded = decode(reader, length);
    checkChain(decoded, lastPeerKey, Math.floor(now() / 1000));
    return decoded;
  };
  curve.certChecksInstalled = true;
}

function refuse(message: string): never {
  // Baileys reads `output.statusCode` of the close reason (its own handshake errors are Boom 400s)
  throw Object.assign(new Error(message), { isBoom: true, output: { statusCode: 400, payload: {} } });
}

const seconds = (v: number | { toNumber(): number } | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

function checkDates(details: proto.CertChain.NoiseCertificate.IDetails, nowS: number, which: string): void {
  const notBefore = seconds(details.notBefore);
  const notAfter = seconds(details.notAfter);
  if (notBefore && nowS + CERT_CLOCK_SKEW_S < notBefore) refuse(`noise ${which} certificate is not valid yet`);
  if (notAfter && nowS - CERT_CLOCK_SKEW_S > notAfter) refuse(`noise ${which} certificate has expired`);
}

function checkChain(chain: proto.CertChain, serverStatic: Uint8Array | undefined, nowS: number): void {
  const Details = proto.CertChain.NoiseCertificate.Details;
  // Missing parts: Baileys refuses them itself right after this, with its own messages.
  if (!chain.leaf?.details || !chain.intermediate?.details) return;
  const leaf = Details.decode(chain.leaf.details);
  const intermediate = Details.decode(chain.intermediate.details);
  if (!serverStatic || !leaf.key || !Buffer.from(leaf.key).equals(Buffer.from(serverStatic)))
    refuse('noise leaf certificate key does not match the server static key');
  checkDates(leaf, nowS, 'leaf');
  checkDates(intermediate, nowS, 'intermediate');
}
