import { randomInt } from 'node:crypto';
import {
  Curve,
  DEFAULT_CONNECTION_CONFIG,
  KEY_BUNDLE_TYPE,
  encodeBigEndian,
  encodeWAMessage,
  generateSignalPubKey,
  initAuthCreds,
  jidEncode,
  proto,
  unpadRandomMax16,
  xmppPreKey,
  xmppSignedPreKey,
  type AuthenticationCreds,
  type BinaryNode,
  type SignalRepositoryWithLIDStore,
} from '@whiskeysockets/baileys';
import { createMemKeyStore, type MemKeyStore } from './mem-key-store.js';
import { SerialQueue } from './serial-queue.js';
import { silentLogger } from './silent-logger.js';

/** The prekey bundle a companion (Baileys client) uploaded with `iq encrypt set`. */
export interface CompanionBundle {
  registrationId: number;
  identity: Uint8Array;
  signedPreKey: { id: number; value: Uint8Array; signature: Uint8Array };
  preKeys: { id: number; value: Uint8Array }[];
}

/** initAuthCreds() without its signed-prekey signature (see SignalPeer.bundleNode). */
function peerCreds(): AuthenticationCreds {
  const identity = Curve.generateKeyPair();
  return {
    ...initAuthCredsShape,
    noiseKey: identity, // unused by a server-side peer
    pairingEphemeralKeyPair: identity, // unused
    signedIdentityKey: identity,
    signedPreKey: { keyPair: Curve.generateKeyPair(), signature: new Uint8Array(64), keyId: 1 },
    registrationId: randomInt(1, 16380),
    advSecretKey: '',
    processedHistoryMessages: [],
  };
}

// the constant part of initAuthCreds(), computed once
const {
  noiseKey: _n,
  pairingEphemeralKeyPair: _p,
  signedIdentityKey: _i,
  signedPreKey: _s,
  ...initAuthCredsShape
} = initAuthCreds();

// makeLibSignalRepository is not re-exported from Baileys' index; the default config carries it
const makeSignalRepository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository;

/**
 * A server-side WhatsApp device with a real libsignal identity: an emulated contact's phone, or the primary phone
 * (device 0) of a linked account. All Signal operations go through one queue per peer.
 */
export class SignalPeer {
  readonly creds: AuthenticationCreds = peerCreds();
  private preKeySigned = false;
  readonly keys: MemKeyStore = createMemKeyStore();
  readonly pnJid: string;
  readonly lidJid: string;
  private readonly repo: SignalRepositoryWithLIDStore;
  private readonly queue = new SerialQueue();
  private nextPreKeyId = 1;

  constructor(
    readonly pnUser: string,
    readonly lidUser: string,
  ) {
    this.pnJid = jidEncode(pnUser, 's.whatsapp.net');
    this.lidJid = jidEncode(lidUser, 'lid');
    // Baileys' repository wants keys.transaction(); a pass-through is enough here (one queue per peer)
    const keys = { ...this.keys, transaction: <T>(fn: () => Promise<T>) => fn(), isInTransaction: () => false };
    this.repo = makeSignalRepository({ creds: this.creds, keys: keys as never }, silentLogger);
  }

  /**
   * `<user jid>` answer to `iq encrypt get <key>`, with a fresh one-time prekey each call: Baileys 7 re-fetches
   * bundles (reason=identity) after every usync that returns a LID, and a reused prekey breaks the second pkmsg.
   */
  bundleNode(jid: string): BinaryNode {
    if (!this.preKeySigned) {
      // signed lazily: an XEdDSA signature costs ~15 ms of pure-JS CPU and most contacts never hand out a bundle
      const { signedIdentityKey, signedPreKey } = this.creds;
      signedPreKey.signature = Curve.sign(signedIdentityKey.private, generateSignalPubKey(signedPreKey.keyPair.public));
      this.preKeySigned = true;
    }
    const id = this.nextPreKeyId++;
    const preKey = Curve.generateKeyPair();
    void this.keys.set({ 'pre-key': { [String(id)]: preKey } });
    return {
      tag: 'user',
      attrs: { jid },
      content: [
        { tag: 'registration', attrs: {}, content: encodeBigEndian(this.creds.registrationId) },
        { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
        { tag: 'identity', attrs: {}, content: this.creds.signedIdentityKey.public },
        xmppSignedPreKey(this.creds.signedPreKey),
        xmppPreKey(preKey, id),
      ],
    };
  }

  /** Encrypts `message` to the companion `targetJid`, building the session from its uploaded bundle if needed. */
  encryptTo(
    targetJid: string,
    bundle: CompanionBundle,
    message: proto.IMessage,
  ): Promise<{ type: 'pkmsg' | 'msg'; ciphertext: Uint8Array }> {
    return this.queue.run(async () => {
      const { exists } = await this.repo.validateSession(targetJid);
      if (!exists) {
        const preKey = bundle.preKeys.shift(); // consume one uploaded one-time prekey
        await this.repo.injectE2ESession({
          jid: targetJid,
          session: {
            registrationId: bundle.registrationId,
            identityKey: Buffer.concat([KEY_BUNDLE_TYPE, bundle.identity]),
            signedPreKey: {
              keyId: bundle.signedPreKey.id,
              publicKey: Buffer.concat([KEY_BUNDLE_TYPE, bundle.signedPreKey.value]),
              signature: bundle.signedPreKey.signature,
            },
            preKey: preKey && { keyId: preKey.id, publicKey: Buffer.concat([KEY_BUNDLE_TYPE, preKey.value]) },
          },
        });
      }
      return this.repo.encryptMessage({ jid: targetJid, data: encodeWAMessage(message) });
    });
  }

  /**
   * Drops this peer's session with `jid` (in its queue, after whatever is in flight), so the next `encryptTo`
   * starts a fresh one from a bundle: what a phone does before it answers a retry receipt.
   */
  forgetSession(jid: string): Promise<void> {
    return this.queue.run(async () => {
      const address = this.repo.jidToSignalProtocolAddress(jid);
      await this.keys.set({ session: { [address]: null } });
    });
  }

  /** Group message from this peer (sender-key `skmsg`) plus the sender-key distribution message for new members. */
  encryptGroup(groupJid: string, message: proto.IMessage): Promise<{ ciphertext: Uint8Array; skdm: Uint8Array }> {
    return this.queue.run(async () => {
      const { ciphertext, senderKeyDistributionMessage } = await this.repo.encryptGroupMessage({
        group: groupJid,
        meId: this.pnJid,
        data: encodeWAMessage(message),
      });
      return { ciphertext, skdm: senderKeyDistributionMessage };
    });
  }

  /** Decrypts a group `skmsg` from `authorJid`, first taking in the sender key it distributed (if any). */
  decryptGroup(
    groupJid: string,
    authorJid: string,
    skmsg: Uint8Array,
    distribution?: proto.Message.ISenderKeyDistributionMessage | null,
  ): Promise<proto.Message> {
    return this.queue.run(async () => {
      if (distribution) await this.repo.processSenderKeyDistributionMessage({ item: distribution, authorJid });
      const plaintext = await this.repo.decryptGroupMessage({ group: groupJid, authorJid, msg: skmsg });
      return proto.Message.decode(unpadRandomMax16(plaintext));
    });
  }

  /** Decrypts a `<enc>` the companion `fromJid` addressed to this peer. */
  decryptFrom(fromJid: string, type: 'pkmsg' | 'msg', ciphertext: Uint8Array): Promise<proto.Message> {
    return this.queue.run(async () => {
      const plaintext = await this.repo.decryptMessage({ jid: fromJid, type, ciphertext });
      return proto.Message.decode(unpadRandomMax16(plaintext));
    });
  }
}
