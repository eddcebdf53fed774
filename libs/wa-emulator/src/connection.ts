import {
  binaryNodeToString,
  decodeBinaryNode,
  encodeBinaryNode,
  proto,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { WebSocket } from 'ws';
import type { Account } from './accounts.js';
import type { ServerContext } from './context.js';
import { FrameReader, encodeFrame } from './frames.js';
import { NoiseServer } from './noise-server.js';
import type { LinkCodeState } from './pairing-code.js';

type Phase = 'hello' | 'finish' | 'open' | 'closed';

let connectionSeq = 0;

/** One client WebSocket: framing, the Noise handshake, then encrypted binary nodes in both directions. */
export class Connection {
  readonly id = ++connectionSeq;
  account?: Account;
  /** refs offered for QR pairing on this (registration) connection, with their server-side deadlines */
  refs: { ref: string; expiresAt: number }[] = [];
  /** pairing by phone-number code instead of QR (see pairing-code.ts) */
  linkCode?: LinkCodeState;
  /** set once passive→active and the offline queue are through: live deliveries go straight out */
  active = false;
  private phase: Phase = 'hello';
  private readonly reader = new FrameReader();
  private readonly noise: NoiseServer;
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ServerContext,
  ) {
    this.noise = new NoiseServer(ctx.identity.serverStatic, ctx.identity.certChain);
    ws.on('message', (data: Buffer) => {
      // frames must be handled strictly in order (noise counters, Signal sessions)
      this.chain = this.chain
        .then(() => this.onData(data))
        .catch((error: unknown) => {
          ctx.options.log('connection error', this.id, error);
          this.terminate();
        });
    });
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.terminate());
  }

  get isOpen(): boolean {
    return this.phase === 'open' && this.ws.readyState === this.ws.OPEN;
  }

  sendNode(node: BinaryNode): void {
    if (!this.isOpen) throw new Error('connection is not open');
    if (this.ctx.options.logStanzas) this.ctx.options.log('>>', this.id, binaryNodeToString(node).slice(0, 400));
    this.ws.send(encodeFrame(this.noise.encrypt(encodeBinaryNode(node))));
  }

  /** `<stream:error>` then close, as the real server ends a stream (515 restart, 401 logout, 440 conflict…). */
  streamError(code: string | undefined, child?: BinaryNode): void {
    if (this.isOpen) {
      this.sendNode({ tag: 'stream:error', attrs: code ? { code } : {}, content: child ? [child] : undefined });
    }
    this.later(50, () => this.terminate());
  }

  /** Runs fn after ms unless the connection closed meanwhile. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.phase !== 'closed') fn();
    }, ms);
    this.timers.add(timer);
  }

  terminate(): void {
    this.ws.terminate();
    this.onClose();
  }

  private onClose(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.ctx.onClosed(this);
  }

  private async onData(data: Buffer): Promise<void> {
    for (const frame of this.reader.push(data)) {
      if (this.phase === 'closed') return;
      await this.onFrame(frame);
    }
  }

  private async onFrame(frame: Buffer): Promise<void> {
    if (this.phase === 'hello') {
      const { clientHello } = proto.HandshakeMessage.decode(frame);
      if (!clientHello?.ephemeral) throw new Error('expected ClientHello');
      this.ws.send(encodeFrame(this.noise.serverHello(clientHello.ephemeral)));
      this.phase = 'finish';
      return;
    }
    if (this.phase === 'finish') {
      const { clientFinish } = proto.HandshakeMessage.decode(frame);
      if (!clientFinish) throw new Error('expected ClientFinish');
      const { clientStatic, payload } = this.noise.clientFinish(clientFinish);
      this.phase = 'open';
      // Baileys awaits noise.finishInit() only after its ClientFinish write resolves: don't race its key switch
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (payload.devicePairingData) this.ctx.onRegistration(this);
      else this.ctx.onLogin(this, payload, clientStatic);
      return;
    }
    const node = await decodeBinaryNode(this.noise.decrypt(frame));
    if (this.ctx.options.logStanzas) this.ctx.options.log('<<', this.id, binaryNodeToString(node).slice(0, 400));
    await this.ctx.onNode(this, node);
  }
}
