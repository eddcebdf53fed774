import {
  Curve,
  NOISE_MODE,
  NOISE_WA_HEADER,
  aesEncryptGCM,
  hkdf,
  makeNoiseHandler,
  proto,
  sha256,
  type KeyPair,
} from '@whiskeysockets/baileys';

/**
 * The first Noise XX round trip of WhatsApp Web, just far enough for Baileys' own client code
 * (makeNoiseHandler().processHandshake) to check a server certificate chain: our side builds the ServerHello
 * (server ephemeral, encrypted server static, encrypted CertChain) the way WhatsApp's server does.
 */

type Logger = Parameters<typeof makeNoiseHandler>[0]['logger'];

const silent: Logger = {
  level: 'silent',
  child: () => silent,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** root → intermediate {serial 1, issuerSerial 0} → leaf {key = server static}; `signer` signs the intermediate. */
export function certChain(signer: KeyPair, serverStatic: KeyPair): Uint8Array {
  const Details = proto.CertChain.NoiseCertificate.Details;
  const intermediate = Curve.generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const interDetails = Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: now - 3600,
    notAfter: now + 86400,
  }).finish();
  const leafDetails = Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: now - 3600,
    notAfter: now + 86400,
  }).finish();
  return proto.CertChain.encode({
    intermediate: { details: interDetails, signature: Curve.sign(signer.private, interDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
}

function serverHello(clientEphemeral: Uint8Array, serverStatic: KeyPair, chain: Uint8Array): proto.HandshakeMessage {
  const mode = Buffer.from(NOISE_MODE);
  let hash = mode.length === 32 ? mode : sha256(mode);
  let salt = hash;
  let key = hash;
  let counter = 0;
  const authenticate = (data: Uint8Array): void => {
    hash = sha256(Buffer.concat([hash, data]));
  };
  const mixKey = (data: Uint8Array): void => {
    const k = Buffer.from(hkdf(Buffer.from(data), 64, { salt, info: '' }));
    salt = k.subarray(0, 32);
    key = k.subarray(32);
    counter = 0;
  };
  const encrypt = (plaintext: Uint8Array): Buffer => {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(counter++, 8);
    const ciphertext = aesEncryptGCM(plaintext, key, iv, hash);
    authenticate(ciphertext);
    return ciphertext;
  };
  const ephemeral = Curve.generateKeyPair();
  authenticate(NOISE_WA_HEADER);
  authenticate(clientEphemeral);
  authenticate(ephemeral.public);
  mixKey(Curve.sharedKey(ephemeral.private, clientEphemeral));
  const encStatic = encrypt(serverStatic.public);
  mixKey(Curve.sharedKey(serverStatic.private, clientEphemeral));
  const payload = encrypt(chain);
  return proto.HandshakeMessage.create({ serverHello: { ephemeral: ephemeral.public, static: encStatic, payload } });
}

/** Runs Baileys' client handshake against a server presenting a chain whose intermediate `signer` signed. */
export function clientHandshake(signer: KeyPair): void {
  const serverStatic = Curve.generateKeyPair();
  const clientEphemeral = Curve.generateKeyPair();
  const client = makeNoiseHandler({ keyPair: clientEphemeral, NOISE_HEADER: NOISE_WA_HEADER, logger: silent });
  client.processHandshake(
    serverHello(clientEphemeral.public, serverStatic, certChain(signer, serverStatic)),
    Curve.generateKeyPair(),
  );
}
