import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  Curve,
  S_WHATSAPP_NET,
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  hkdf,
  jidDecode,
  type BinaryNode,
  type KeyPair,
} from '@whiskeysockets/baileys';
import type { Connection } from './connection.js';
import type { ServerContext } from './context.js';
import { EmulatorInputError } from './errors.js';
import { completePairing, type ScanResult } from './pairing.js';
import { SignalPeer } from './signal-peers.js';
import { replyResult } from './stanzas/reply.js';

const pbkdf2Async = promisify(pbkdf2);
const FINISH_TIMEOUT_MS = 30_000;

/** State of a pairing-code registration (Baileys requestPairingCode) on its connection. */
export interface LinkCodeState {
  phone: string;
  ref: string;
  noiseKey: Buffer;
  wrappedCompanionEphemeral: Buffer;
  primary?: { peer: SignalPeer; ephemeral: KeyPair; companionEphemeral: Buffer; settle: (error?: Error) => void };
}

// WhatsApp's pairing-code key: PBKDF2-SHA256(code, salt, 2^17 iterations), 32 bytes
const codeKey = (code: string, salt: Buffer): Promise<Buffer> => pbkdf2Async(code, salt, 2 << 16, 32, 'sha256');

/** `iq md <link_code_companion_reg stage=companion_hello|companion_finish>` from a registration connection. */
export async function handleLinkCodeIq(ctx: ServerContext, connection: Connection, node: BinaryNode): Promise<void> {
  const reg = getBinaryNodeChild(node, 'link_code_companion_reg')!;
  if (reg.attrs.stage === 'companion_hello') {
    const phone = jidDecode(reg.attrs.jid ?? '')?.user ?? '';
    const wrapped = getBinaryNodeChildBuffer(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub');
    const noiseKey = getBinaryNodeChildBuffer(reg, 'companion_server_auth_key_pub');
    if (!/^\d{5,20}$/.test(phone) || !wrapped || wrapped.length !== 80 || !noiseKey) {
      connection.sendNode({
        tag: 'iq',
        attrs: { from: S_WHATSAPP_NET, type: 'error', id: node.attrs.id! },
        content: [{ tag: 'error', attrs: { code: '400', text: 'bad-request' } }],
      });
      return;
    }
    const ref = randomBytes(16).toString('base64');
    connection.linkCode = {
      phone,
      ref,
      noiseKey: Buffer.from(noiseKey),
      wrappedCompanionEphemeral: Buffer.from(wrapped),
    };
    replyResult(connection, node, [
      {
        tag: 'link_code_companion_reg',
        attrs: {},
        content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }],
      },
    ]);
    return;
  }
  if (reg.attrs.stage === 'companion_finish') {
    const state = connection.linkCode;
    const primary = state?.primary;
    replyResult(connection, node);
    if (!state || !primary) return;
    try {
      // the companion wrapped its identity key for the phone under a key only the right code leads to
      const bundle = Buffer.from(getBinaryNodeChildBuffer(reg, 'link_code_pairing_wrapped_key_bundle') ?? []);
      const identityKey = Buffer.from(getBinaryNodeChildBuffer(reg, 'companion_identity_public') ?? []);
      const companionShared = Curve.sharedKey(primary.ephemeral.private, primary.companionEphemeral);
      const bundleKey = hkdf(companionShared, 32, {
        salt: bundle.subarray(0, 32),
        info: 'link_code_pairing_key_bundle_encryption_key',
      });
      const payload = aesDecryptGCM(bundle.subarray(44), bundleKey, bundle.subarray(32, 44), Buffer.alloc(0));
      if (!payload.subarray(0, 32).equals(identityKey)) throw new Error('companion identity mismatch');
      const identityShared = Curve.sharedKey(primary.peer.creds.signedIdentityKey.private, identityKey);
      const advSecret = Buffer.from(
        hkdf(Buffer.concat([companionShared, identityShared, payload.subarray(64, 96)]), 32, { info: 'adv_secret' }),
      );
      completePairing(ctx, connection, {
        phone: state.phone,
        noiseKey: state.noiseKey,
        identityKey,
        advSecret,
        primary: primary.peer,
      });
      primary.settle();
    } catch {
      // as on a phone: "incorrect code"; the client may request a new code on the same connection
      state.primary = undefined;
      primary.settle(new EmulatorInputError('the pairing code is wrong'));
    }
  }
}

/**
 * The user types the code shown by the client into the phone `phone`: the phone answers with its wrapped
 * ephemeral key (notification primary_hello); resolves once the client has finished and pair-success went out.
 */
export async function enterPairingCode(ctx: ServerContext, phone: string, code: string): Promise<ScanResult> {
  const normalized = String(code ?? '')
    .replace(/[^0-9a-z]/gi, '')
    .toUpperCase();
  if (normalized.length !== 8) throw new EmulatorInputError('code must be the 8 characters the client shows');
  // requestPairingCode() resolves once its companion_hello is written, maybe before it reached us: allow a moment
  const waiting = (): Connection | undefined =>
    [...ctx.connections].find((c) => c.isOpen && !c.account && c.linkCode?.phone === phone);
  let connection = waiting();
  for (let i = 0; !connection && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    connection = waiting();
  }
  if (!connection?.linkCode)
    throw new EmulatorInputError(`no connected client is waiting for a pairing code for ${phone}`);
  const state = connection.linkCode;

  const wrapped = state.wrappedCompanionEphemeral;
  const companionEphemeral = aesDecryptCTR(
    wrapped.subarray(48, 80),
    await codeKey(normalized, wrapped.subarray(0, 32)),
    wrapped.subarray(32, 48),
  );
  const peer = ctx.directory.account(phone)?.primary ?? new SignalPeer(phone, ctx.directory.allocateLid());
  const ephemeral = Curve.generateKeyPair();
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const wrappedPrimary = Buffer.concat([
    salt,
    iv,
    aesEncryptCTR(ephemeral.public, await codeKey(normalized, salt), iv),
  ]);

  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new EmulatorInputError('the client did not finish pairing in time')),
      FINISH_TIMEOUT_MS,
    );
    state.primary = {
      peer,
      ephemeral,
      companionEphemeral,
      settle: (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      },
    };
  });
  connection.sendNode({
    tag: 'notification',
    attrs: {
      from: S_WHATSAPP_NET,
      type: 'link_code_companion_reg',
      id: randomBytes(6).toString('hex'),
      t: `${Math.floor(Date.now() / 1000)}`,
    },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { stage: 'primary_hello' },
        content: [
          { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(state.ref) },
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary },
          { tag: 'primary_identity_pub', attrs: {}, content: peer.creds.signedIdentityKey.public },
        ],
      },
    ],
  });
  await done;
  return { phone, jid: peer.pnJid, lid: peer.lidJid };
}
