import type { LeafFault } from './cert-chain.js';

/** Options of startEmulator(). Every timing is in milliseconds. */
export interface EmulatorOptions {
  /** TCP port for WebSocket, control API and media downloads; 0 (default) picks a free one */
  port?: number;
  host?: string;
  /** present a certificate chain whose intermediate is NOT signed by the advertised root (security tests) */
  badChain?: boolean;
  /** present a correctly signed chain whose leaf names another key than the server's (`wrong-key`) or has expired */
  leafFault?: LeafFault;
  /** where inbound messages' media URLs point: the https media host (default, as WhatsApp's), or plain http on the
   *  main port for clients that cannot trust the media host's certificate */
  inboundMedia?: 'https' | 'http';
  /** base64 32-byte root private key: a stable root public key across restarts (default: a fresh one per start) */
  rootPrivateKey?: string;
  /** QR ref timing: the first ref lives firstRefMs, each later one nextRefMs; maxRefs refs per pairing */
  qr?: { firstRefMs?: number; nextRefMs?: number; maxRefs?: number };
  /** receipts a contact sends back for each captured outbound message (default 'delivered') */
  autoReceipt?: 'none' | 'delivered' | 'read';
  /**
   * a contact that cannot decrypt a message asks its sender to send it again, as WhatsApp phones do (a retry
   * receipt; Baileys answers it on a fresh Signal session), up to this many times per message (default 5, as
   * Baileys' maxMsgRetryCount; 0 = never: every failure stays in the outbound record as 'undecryptable')
   */
  retryReceipts?: number;
  /** first phone number handed out by scan() when none is given */
  firstPhone?: number;
  /** diagnostic log sink; stanza dumps too when logStanzas is set */
  log?: (...args: unknown[]) => void;
  logStanzas?: boolean;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  badChain: boolean;
  leafFault?: LeafFault;
  inboundMedia: 'https' | 'http';
  rootPrivateKey?: Uint8Array;
  qr: { firstRefMs: number; nextRefMs: number; maxRefs: number };
  autoReceipt: 'none' | 'delivered' | 'read';
  retryReceipts: number;
  firstPhone: number;
  log: (...args: unknown[]) => void;
  logStanzas: boolean;
}

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    badChain: options.badChain ?? false,
    leafFault: options.leafFault,
    inboundMedia: options.inboundMedia ?? 'https',
    rootPrivateKey: options.rootPrivateKey === undefined ? undefined : decodeRootPrivateKey(options.rootPrivateKey),
    qr: {
      firstRefMs: options.qr?.firstRefMs ?? 60_000,
      nextRefMs: options.qr?.nextRefMs ?? 20_000,
      maxRefs: options.qr?.maxRefs ?? 6,
    },
    autoReceipt: options.autoReceipt ?? 'delivered',
    retryReceipts: options.retryReceipts ?? 5,
    firstPhone: options.firstPhone ?? 15550000001,
    log: options.log ?? (() => undefined),
    logStanzas: options.logStanzas ?? false,
  };
}

function decodeRootPrivateKey(value: string): Uint8Array {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('rootPrivateKey must be 32 bytes, base64 (e.g. `openssl rand -base64 32`)');
  return key;
}
