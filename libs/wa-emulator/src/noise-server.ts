import {
  Curve,
  NOISE_MODE,
  NOISE_WA_HEADER,
  aesDecryptGCM,
  aesEncryptGCM,
  hkdf,
  proto,
  sha256,
  type KeyPair,
} from '@whiskeysockets/baileys';

const ivFor = (counter: number): Buffer => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
};

interface TransportKeys {
  enc: Buffer;
  dec: Buffer;
  readCounter: number;
  writeCounter: number;
}

/**
 * Server side of Noise_XX_25519_AESGCM_SHA256 as WhatsApp Web uses it (mirror of Baileys' client-only
 * Utils/noise-handler.js). Before the split both directions share one counter; afterwards the client's
 * write key is our read key.
 */
export class NoiseServer {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private readonly ephemeral: KeyPair = Curve.generateKeyPair();
  private transport?: TransportKeys;

  constructor(
    private readonly serverStatic: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.length === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  /** ClientHello{ephemeral} → encoded HandshakeMessage{serverHello}. */
  serverHello(clientEphemeral: Uint8Array): Uint8Array {
    this.authenticate(NOISE_WA_HEADER);
    this.authenticate(clientEphemeral);
    this.authenticate(this.ephemeral.public);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
    const encStatic = this.handshakeEncrypt(this.serverStatic.public);
    this.mixKey(Curve.sharedKey(this.serverStatic.private, clientEphemeral));
    const payload = this.handshakeEncrypt(this.certChain);
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: encStatic, payload },
    }).finish();
  }

  /** ClientFinish{enc(noise static), enc(ClientPayload)}; switches to transport keys. */
  clientFinish(finish: proto.HandshakeMessage.IClientFinish): { clientStatic: Buffer; payload: proto.ClientPayload } {
    if (!finish.static || !finish.payload) throw new Error('incomplete ClientFinish');
    const clientStatic = this.handshakeDecrypt(finish.static);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.handshakeDecrypt(finish.payload));
    const k = Buffer.from(hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' }));
    this.transport = { dec: k.subarray(0, 32), enc: k.subarray(32), readCounter: 0, writeCounter: 0 };
    return { clientStatic, payload };
  }

  encrypt(plaintext: Uint8Array): Buffer {
    const t = this.requireTransport();
    return aesEncryptGCM(plaintext, t.enc, ivFor(t.writeCounter++), Buffer.alloc(0));
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    const t = this.requireTransport();
    return aesDecryptGCM(ciphertext, t.dec, ivFor(t.readCounter++), Buffer.alloc(0));
  }

  private requireTransport(): TransportKeys {
    if (!this.transport) throw new Error('noise handshake not finished');
    return this.transport;
  }

  private authenticate(data: Uint8Array): void {
    if (!this.transport) this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  private mixKey(data: Uint8Array): void {
    const k = Buffer.from(hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' }));
    this.salt = k.subarray(0, 32);
    this.key = k.subarray(32);
    this.counter = 0;
  }

  private handshakeEncrypt(plaintext: Uint8Array): Buffer {
    const ct = aesEncryptGCM(plaintext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(ct);
    return ct;
  }

  private handshakeDecrypt(ciphertext: Uint8Array): Buffer {
    const pt = aesDecryptGCM(ciphertext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return pt;
  }
}
