import { randomBytes } from 'node:crypto';
import { Curve, S_WHATSAPP_NET, hmacSign, jidEncode, proto } from '@whiskeysockets/baileys';
import { pnJid, type Account } from './accounts.js';
import type { Connection } from './connection.js';
import type { ServerContext } from './context.js';
import { EmulatorInputError } from './errors.js';
import { SignalPeer } from './signal-peers.js';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
// refs stay scannable a little after the client stopped showing them (the "phone" may be slow)
const refGraceMs = (nextRefMs: number): number => Math.min(1000, nextRefMs / 2);
const COMPANION_DEVICE_ID = 7;

/**
 * Registration connection: offer `maxRefs` refs in one `<pair-device>` (as WhatsApp does). The client shows them in
 * turn (its own qrTimeout: 60 s then 20 s); each ref expires server-side on the same schedule, and once the last one
 * has expired the server drops the unpaired connection.
 */
export function startPairing(ctx: ServerContext, connection: Connection): void {
  const { firstRefMs, nextRefMs, maxRefs } = ctx.options.qr;
  const start = Date.now();
  connection.refs = Array.from({ length: maxRefs }, (_, i) => ({
    ref: `2@${randomBytes(18).toString('base64')}`,
    expiresAt: start + firstRefMs + i * nextRefMs + refGraceMs(nextRefMs),
  }));
  connection.sendNode({
    tag: 'iq',
    attrs: { from: S_WHATSAPP_NET, type: 'set', id: `pair-${randomBytes(4).toString('hex')}`, xmlns: 'md' },
    content: [
      {
        tag: 'pair-device',
        attrs: {},
        content: connection.refs.map(({ ref }) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })),
      },
    ],
  });
  const lastDeadline = connection.refs[connection.refs.length - 1]!.expiresAt;
  connection.later(lastDeadline - Date.now(), () => {
    if (!connection.account) connection.terminate();
  });
}

export interface ScanResult {
  phone: string;
  jid: string;
  lid: string;
}

/**
 * The phone scans a QR: `https://wa.me/settings/linked_devices#ref,noiseKeyB64,identityKeyB64,advSecretB64,platform`
 * (Baileys 7; a bare `ref,noise,identity,adv` also works). Sends pair-success with the ADV device identity: HMAC
 * keyed by the advSecret from the QR, and the account signature over [6,0] ‖ details ‖ companion identity key.
 */
export function scanQr(ctx: ServerContext, qr: string, requestedPhone?: string): ScanResult {
  const parts = qr.replace(/^.*#/, '').split(',');
  if (parts.length < 4 || parts.slice(0, 4).some((p) => !p)) {
    throw new EmulatorInputError(
      'qr is not a WhatsApp pairing QR string (expected "ref,noiseKey,identityKey,advSecret")',
    );
  }
  const [ref, noiseB64, identityB64, advB64] = parts as [string, string, string, string];
  const connection = [...ctx.connections].find((c) => c.refs.some((r) => r.ref === ref));
  if (!connection || !connection.isOpen) throw new EmulatorInputError('no connected client is showing this QR');
  if (connection.account) throw new EmulatorInputError('this client is already paired');
  const entry = connection.refs.find((r) => r.ref === ref)!;
  if (Date.now() > entry.expiresAt) throw new EmulatorInputError('this QR ref has expired');
  if (requestedPhone !== undefined && !/^\d{5,20}$/.test(requestedPhone)) {
    throw new EmulatorInputError('phone must be 5 to 20 digits');
  }

  return completePairing(ctx, connection, {
    phone: requestedPhone ?? ctx.directory.allocatePhone(),
    noiseKey: Buffer.from(noiseB64, 'base64'),
    identityKey: Buffer.from(identityB64, 'base64'),
    advSecret: Buffer.from(advB64, 'base64'),
  });
}

/**
 * The phone accepted the companion (QR scan or pairing code): create or re-link the account and send pair-success
 * with the ADV device identity: HMAC keyed by the adv secret, account signature over [6,0] ‖ details ‖ identity key.
 */
export function completePairing(
  ctx: ServerContext,
  connection: Connection,
  pairing: { phone: string; noiseKey: Buffer; identityKey: Buffer; advSecret: Buffer; primary?: SignalPeer },
): ScanResult {
  const directory = ctx.directory;
  const phone = pairing.phone;
  const previous = directory.account(phone);
  const lidUser = previous?.lidUser ?? pairing.primary?.lidUser ?? directory.allocateLid();
  const deviceId = previous ? previous.deviceId + 1 : COMPANION_DEVICE_ID;
  const account: Account = {
    phone,
    lidUser,
    deviceId,
    companionJid: pnJid(phone, deviceId),
    companionLid: jidEncode(lidUser, 'lid', deviceId),
    noiseKey: pairing.noiseKey,
    advAccountKey: previous?.advAccountKey ?? Curve.generateKeyPair(),
    primary: previous?.primary ?? pairing.primary ?? new SignalPeer(phone, lidUser),
    firstLogin: true,
    loggedOut: false,
    offlineQueue: previous?.offlineQueue ?? [],
    unacked: new Map(),
    inboundSent: new Map(),
    outbound: previous?.outbound ?? [],
  };
  // re-linking a number removes its previous companion, as a phone would
  if (previous?.connection?.isOpen) {
    previous.connection.streamError('401', { tag: 'conflict', attrs: { type: 'device_removed' } });
  }
  directory.addAccount(account);
  connection.account = account;

  const details = proto.ADVDeviceIdentity.encode({ rawId: 424242, timestamp: nowSeconds(), keyIndex: 1 }).finish();
  const accountSignature = Curve.sign(
    account.advAccountKey.private,
    Buffer.concat([Buffer.from([6, 0]), details, pairing.identityKey]),
  );
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: account.advAccountKey.public,
    accountSignature,
  }).finish();
  const hmac = hmacSign(signedIdentity, pairing.advSecret);
  connection.sendNode({
    tag: 'iq',
    attrs: {
      from: S_WHATSAPP_NET,
      type: 'set',
      id: `pair-success-${randomBytes(4).toString('hex')}`,
      t: `${nowSeconds()}`,
    },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          {
            tag: 'device-identity',
            attrs: {},
            content: proto.ADVSignedDeviceIdentityHMAC.encode({ details: signedIdentity, hmac }).finish(),
          },
          { tag: 'platform', attrs: { name: 'android' } },
          // Baileys 7 stores device lid as creds.me.lid and names its Signal identity after it
          { tag: 'device', attrs: { jid: account.companionJid, lid: account.companionLid } },
        ],
      },
    ],
  });
  return { phone, jid: pnJid(phone), lid: jidEncode(lidUser, 'lid') };
}
