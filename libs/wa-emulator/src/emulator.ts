import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode, type proto } from '@whiskeysockets/baileys';
import { Directory, type Account, type ContactProfile, type DeliveryJob } from './accounts.js';
import { createServerIdentity, type ServerIdentity } from './cert-chain.js';
import { Connection } from './connection.js';
import type { EmulatorStats, ServerContext } from './context.js';
import { handleControlRequest } from './control-api.js';
import { EmulatorInputError } from './errors.js';
import { injectFault, parseFaultKind } from './faults.js';
import { buildInboundMessage, stanzaType } from './inbound-content.js';
import { parseInboundRequest, type InboundRequest } from './inbound-request.js';
import { handleLogin } from './login.js';
import { MediaHost } from './media-host.js';
import { MEDIA_TLS_CERT_PEM } from './media-tls.js';
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from './options.js';
import type { OutboundRecord } from './outbound-record.js';
import { scanQr, startPairing, type ScanResult } from './pairing.js';
import { enterPairingCode } from './pairing-code.js';
import {
  deleteLabel,
  editLabel,
  labelChat,
  labelsOf,
  type LabelAssociation,
  type LabelChatCommand,
  type LabelEditCommand,
  type LabelInfo,
  type LabelsView,
} from './labels.js';
import { appStateVersions, shareAppStateKeys } from './app-state.js';
import { groupAction, groupInfo, setOnWhatsApp, type GroupActionCommand, type GroupInfo } from './group-control.js';
import { numberChecks } from './stanzas/number-check.js';
import { buildPollVote, type PollVoteCommand } from './polls.js';
import { SerialQueue } from './serial-queue.js';
import { SocketCensus, type SocketCount } from './socket-census.js';
import { deliverFromContact, newMessageId } from './stanzas/inbound.js';
import { resendOnRetry } from './stanzas/inbound-retry.js';
import { forgetContactSessions } from './forget-session.js';
import { handleIq } from './stanzas/iq.js';
import { captureOutbound } from './stanzas/outbound.js';
import {
  clientSignals,
  recordChatState,
  recordClientPresence,
  recordClientReceipt,
  type ClientSignal,
} from './stanzas/client-signals.js';
import { handleClientPresence, presenceNode, type ContactPresence } from './stanzas/presence.js';
import { sendContactReceipt, type ReceiptStatus } from './stanzas/receipts.js';

export interface ReceiptCommand {
  phone: string;
  messageId: string;
  status: ReceiptStatus;
}

export interface FaultCommand {
  /** the linked account (not needed for 'refuse', which refuses every new connection) */
  phone?: string;
  kind: string;
  /** 'refuse' only: how long new connections are refused (default 5000 ms) */
  ms?: number;
}

export interface PresenceCommand {
  to: string;
  from: string;
  presence: ContactPresence;
}

export interface ProfileCommand {
  phone: string;
  pushName?: string;
  status?: string;
  pictureUrl?: string | null;
}

const RECEIPT_STATUSES: ReceiptStatus[] = ['server', 'delivered', 'read', 'played'];
const PRESENCES: ContactPresence[] = ['available', 'unavailable', 'composing', 'recording', 'paused'];

/** The offline WhatsApp Web server. Created by startEmulator(). */
export class Emulator implements ServerContext {
  readonly options: ResolvedOptions;
  readonly identity: ServerIdentity;
  readonly directory: Directory;
  readonly media = new MediaHost();
  readonly connections = new Set<Connection>();
  readonly stats: EmulatorStats = {
    inbound: { pkmsg: 0, msg: 0 },
    outbound: 0,
    retryReceiptsSent: 0,
    inboundResends: 0,
  };
  readonly sockets = new SocketCensus();
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly deliveryQueues = new Map<string, SerialQueue>();
  private readonly inboundTexts = new Map<string, string>();
  private refuseUntil = 0;

  constructor(options: EmulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.identity = createServerIdentity({
      badChain: this.options.badChain,
      leafFault: this.options.leafFault,
      rootPrivateKey: this.options.rootPrivateKey,
    });
    this.directory = new Directory(this.options.firstPhone);
    this.http = createServer((req, res) => {
      if (this.media.serveDownload(req, res)) return;
      void handleControlRequest(this, req, res);
    });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    await this.media.start(this.options.host, this.options.inboundMedia === 'http' ? this.baseUrl : undefined);
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** http://host:port: control API under /control, media downloads under /media */
  get baseUrl(): string {
    return `http://${this.urlHost}:${this.port}`;
  }

  /** WebSocket URL for makeWASocket({ waWebSocketUrl }) */
  get url(): string {
    return `ws://${this.urlHost}:${this.port}/ws/chat`;
  }

  /** host for URLs: a wildcard bind address is reached through loopback */
  private get urlHost(): string {
    const host = this.options.host;
    return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  }

  /** base64 root public key: the client's WA_SERVER_ROOT_KEY */
  get rootPublicKey(): string {
    return Buffer.from(this.identity.root.public).toString('base64');
  }

  /** `https://host:port` of the media host: inbound media, uploads, and the hostile `/media/test/*` paths */
  get mediaBaseUrl(): string {
    return this.media.httpsBase;
  }

  /** PEM of the media upload host's certificate: `fetchAgent: new https.Agent({ ca: emulator.mediaCaPem })` */
  get mediaCaPem(): string {
    return MEDIA_TLS_CERT_PEM;
  }

  /** The phone scans the QR a client shows; optional phone number (digits), otherwise the next free one. */
  async scan(qr: string, options: { phone?: string } = {}): Promise<ScanResult> {
    if (typeof qr !== 'string' || !qr) throw new EmulatorInputError('qr is required');
    return scanQr(this, qr, options.phone);
  }

  /** The user types the pairing code a client shows (sock.requestPairingCode(phone)) into the phone `phone`. */
  async enterPairingCode(command: { phone: string; code: string }): Promise<ScanResult> {
    return enterPairingCode(this, assertDigits(command.phone, 'phone'), command.code);
  }

  /** Inject a message from contact `from` to linked account `to`; delivered now, or when the client reconnects. */
  async inbound(input: InboundRequest | Record<string, unknown>): Promise<{ id: string }> {
    const request = parseInboundRequest(input);
    const account = this.requireAccount(request.to);
    if (this.directory.account(request.from)) {
      throw new EmulatorInputError('from is a linked account; messages between linked accounts are not emulated');
    }
    const contact = this.directory.contact(request.from);
    if (request.group) this.directory.ensureGroup(request.group, request.from, [request.to]);
    const message = await buildInboundMessage(
      request,
      account,
      contact.peer.pnJid,
      this.historyFor(account),
      this.media,
      request.group,
    );
    const id = request.id ?? newMessageId();
    const text = message.conversation ?? message.extendedTextMessage?.text;
    if (text != null) this.inboundTexts.set(`${account.phone}:${id}`, text);
    deliverFromContact(this, account, contact, message, {
      id,
      pushName: request.pushName ?? contact.profile.pushName,
      addressing: request.addressing ?? 'pn',
      stanzaType: stanzaType(request),
      groupJid: request.group,
      damaged: request.damaged,
    });
    return { id };
  }

  /** Create (or update) a group chat; members are linked accounts or contacts (digits). */
  createGroup(command: { id?: string; subject?: string; creator: string; participants: string[] }): {
    jid: string;
    subject: string;
    participants: string[];
  } {
    const creator = assertDigits(command.creator, 'creator');
    if (!Array.isArray(command.participants))
      throw new EmulatorInputError('participants must be an array of phone numbers');
    const members = command.participants.map((p) => assertDigits(p, 'participants[]'));
    if (command.subject !== undefined && typeof command.subject !== 'string')
      throw new EmulatorInputError('subject must be a string');
    const id = command.id ?? `${creator}-${Math.floor(Date.now() / 1000)}`;
    if (!/^\d{5,20}-\d{5,20}$/.test(id.replace(/@g\.us$/, '')))
      throw new EmulatorInputError('id must look like 15550000001-1700000000');
    const group = this.directory.ensureGroup(`${id.replace(/@g\.us$/, '')}@g.us`, creator, members, command.subject);
    return { jid: group.jid, subject: group.subject, participants: [...group.participants] };
  }

  /** Contact `from` votes on a poll linked account `to` sent (option names; [] takes the vote back). */
  async pollVote(command: PollVoteCommand): Promise<{ id: string }> {
    const account = this.requireAccount(command?.to);
    const from = assertDigits(command.from, 'from');
    if (this.directory.account(from))
      throw new EmulatorInputError('from is a linked account; votes come from contacts');
    const poll = account.outbound.find((r) => r.id === command.pollId);
    if (!poll) throw new EmulatorInputError(`account ${command.to} sent no message with id ${command.pollId}`);
    if (poll.group && !this.directory.group(poll.group)?.participants.includes(from))
      throw new EmulatorInputError(`${from} is not a member of ${poll.group}`);
    const contact = this.directory.contact(from);
    const message = buildPollVote(account, contact, poll, command.options);
    const id = newMessageId();
    deliverFromContact(this, account, contact, message, {
      id,
      pushName: contact.profile.pushName,
      addressing: 'pn',
      stanzaType: 'poll',
      groupJid: poll.group,
    });
    return { id };
  }

  /** A member (contact or linked account's phone) changes a group; linked members get w:gp2 notifications. */
  groupAction(command: GroupActionCommand): { results?: { phone: string; code: number }[] } {
    return groupAction(this, command);
  }

  /** A group as the server holds it: subject, description, members with their roles, invite code. */
  groupInfo(jid: string): GroupInfo {
    return groupInfo(this, jid);
  }

  /** The account's phone creates a label (no `id`) or changes one; the linked device learns it by app-state sync. */
  async labelEdit(command: LabelEditCommand): Promise<LabelInfo> {
    return editLabel(this, this.requireAccount(command?.phone), command);
  }

  /** The account's phone deletes label `id`. */
  async labelDelete(command: { phone: string; id: string }): Promise<LabelInfo> {
    return deleteLabel(this, this.requireAccount(command?.phone), command.id);
  }

  /** The account's phone puts label `labelId` on a chat (or one message of it), or takes it off (`labeled: false`). */
  async labelChat(command: LabelChatCommand): Promise<LabelAssociation> {
    return labelChat(this, this.requireAccount(command?.phone), command);
  }

  /** The phone shares its app-state keys with the linked device again; `rotate` first makes a new current key. */
  shareAppStateKeys(command: { phone: string; rotate?: boolean }): { keyId: string } {
    if (command?.rotate !== undefined && typeof command.rotate !== 'boolean')
      throw new EmulatorInputError('rotate must be true or false');
    return shareAppStateKeys(this, this.requireAccount(command?.phone), command.rotate);
  }

  /** Account `phone`'s labels (deleted ones too) and what they are on, as its app-state holds them. */
  labels(phone: string): LabelsView & { versions: Record<string, number> } {
    const account = this.requireAccount(phone);
    return { ...labelsOf(account), versions: appStateVersions(account) };
  }

  /** Whether number checks (usync contact queries) find `phone` on WhatsApp; every number is by default. */
  setOnWhatsApp(command: { phone: string; onWhatsApp: boolean }): void {
    setOnWhatsApp(this, command);
  }

  /** Every phone number clients asked about in usync contact queries, as sent (`+<digits>`), oldest first. */
  numberChecks(): string[] {
    return numberChecks(this);
  }

  /** Messages the linked account `phone` sent, decrypted, oldest first. */
  outbound(phone: string): OutboundRecord[] {
    return [...this.requireAccount(phone).outbound];
  }

  /** Read receipts, typing states and online state the linked account `phone` sent, oldest first. */
  signals(phone: string): ClientSignal[] {
    return clientSignals(this.requireAccount(phone));
  }

  /**
   * The contact's phone loses its Signal sessions with the linked account `phone` (a reinstall or a lost key store,
   * or a sender that went on from an older copy of its ratchet): the next message the client sends it arrives
   * undecryptable, and the contact answers with a retry receipt (option `retryReceipts`). Returns how many
   * sessions were dropped.
   */
  forgetSession(command: { phone: string; contact: string }): { dropped: number } {
    const account = this.requireAccount(command.phone);
    return forgetContactSessions(account, this.directory.contact(assertDigits(command.contact, 'contact')));
  }

  /** The contact sends a receipt for an outbound message: server (2), delivered (3), read (4), played (5). */
  receipt(command: ReceiptCommand): void {
    const account = this.requireAccount(command.phone);
    if (!RECEIPT_STATUSES.includes(command.status)) {
      throw new EmulatorInputError(`status must be one of ${RECEIPT_STATUSES.join(', ')}`);
    }
    const record = account.outbound.find((r) => r.id === command.messageId);
    if (!record) throw new EmulatorInputError(`account ${command.phone} sent no message with id ${command.messageId}`);
    sendContactReceipt(this, account, record, command.status);
  }

  fault(command: FaultCommand): void {
    const kind = parseFaultKind(command.kind);
    if (kind === 'refuse') {
      const ms = command.ms ?? 5000;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 3_600_000) {
        throw new EmulatorInputError('ms must be a number of milliseconds between 0 and 3600000');
      }
      this.refuseUntil = Date.now() + ms;
      return;
    }
    if (!command.phone) throw new EmulatorInputError('phone is required');
    injectFault(this.requireAccount(command.phone), kind);
  }

  /** Contact `from` shows `presence` to linked account `to` (live only: presence is not queued). */
  presence(command: PresenceCommand): void {
    const account = this.requireAccount(command.to);
    if (!PRESENCES.includes(command.presence))
      throw new EmulatorInputError(`presence must be one of ${PRESENCES.join(', ')}`);
    const contact = this.directory.contact(assertDigits(command.from, 'from'));
    if (command.presence === 'available' || command.presence === 'unavailable')
      contact.profile.presence = command.presence;
    const connection = account.connection;
    if (connection?.isOpen && connection.active)
      connection.sendNode(presenceNode(contact.peer.pnJid, command.presence));
  }

  /** A contact's profile as linked clients see it: push name (next messages), status (usync), picture URL. */
  profile(command: ProfileCommand): ContactProfile {
    const contact = this.directory.contact(assertDigits(command.phone, 'phone'));
    if (command.pushName !== undefined) contact.profile.pushName = command.pushName;
    if (command.status !== undefined) contact.profile.status = command.status;
    if (command.pictureUrl !== undefined) contact.profile.pictureUrl = command.pictureUrl ?? undefined;
    return { ...contact.profile };
  }

  /** Linked accounts and whether each is connected right now. */
  accounts(): { phone: string; jid: string; connected: boolean; loggedOut: boolean }[] {
    return this.directory.listAccounts().map((a) => ({
      phone: a.phone,
      jid: a.primary.pnJid,
      connected: !!a.connection?.isOpen,
      loggedOut: a.loggedOut,
    }));
  }

  /** Logged-in sockets of account `phone` open right now (more than 1 only while one replaces another). */
  socketsOpen(phone: string): number {
    return this.socketCount(phone).open;
  }

  /** The most sockets account `phone` ever had open at the same time: 1 if it never had two clients at once. */
  maxConcurrentSockets(phone: string): number {
    return this.socketCount(phone).maxConcurrent;
  }

  /** Open now, the high-water mark, and every login/close of account `phone`'s sockets, oldest first. */
  socketCount(phone: string): SocketCount {
    return this.sockets.count(assertDigits(phone, 'phone'));
  }

  /** Process and traffic figures (benchmarks). Forces a GC first when node runs with --expose-gc. */
  statsSnapshot(): {
    rssMB: number;
    heapUsedMB: number;
    cpuMs: number;
    accounts: number;
    connections: number;
  } & EmulatorStats {
    const cpu = process.cpuUsage(); // before the forced GC, so the GC is not billed to the traffic
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    return {
      rssMB: +(memory.rss / 1048576).toFixed(1),
      heapUsedMB: +(memory.heapUsed / 1048576).toFixed(1),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000), // process CPU time since start, all threads
      accounts: this.directory.accountCount(),
      connections: [...this.connections].filter((c) => c.isOpen).length,
      inbound: { ...this.stats.inbound },
      outbound: this.stats.outbound,
      retryReceiptsSent: this.stats.retryReceiptsSent,
      inboundResends: this.stats.inboundResends,
    };
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await Promise.all([new Promise<void>((resolve) => this.http.close(() => resolve())), this.media.close()]);
  }

  // ---- ServerContext ------------------------------------------------------------------------

  onRegistration(connection: Connection): void {
    startPairing(this, connection);
  }

  onLogin(connection: Connection, payload: proto.ClientPayload, clientStatic: Buffer): void {
    handleLogin(this, connection, payload, clientStatic);
  }

  async onNode(connection: Connection, node: BinaryNode): Promise<void> {
    switch (node.tag) {
      case 'iq':
        handleIq(this, connection, node);
        return;
      case 'message':
        await captureOutbound(this, connection, node);
        return;
      case 'presence':
        handleClientPresence(this, connection, node);
        if (connection.account) recordClientPresence(connection.account, node);
        return;
      case 'chatstate':
        if (connection.account) recordChatState(connection.account, node);
        return;
      case 'ack':
      case 'receipt': {
        // the client confirms a message with a receipt (several ids in <list><item>), anything else with an ack
        const account = connection.account;
        if (!account) return;
        if (node.tag === 'receipt') recordClientReceipt(account, node);
        if (node.tag === 'receipt' && node.attrs.type === 'retry') resendOnRetry(this, account, node);
        if (node.attrs.id) account.unacked.delete(node.attrs.id);
        for (const item of getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item')) {
          if (item.attrs.id) account.unacked.delete(item.attrs.id);
        }
        return;
      }
      default:
        // ib unified_session: nothing to answer
        return;
    }
  }

  onClosed(connection: Connection): void {
    this.connections.delete(connection);
    this.sockets.closed(connection.id);
    const account = connection.account;
    if (account?.connection !== connection) return;
    account.connection = undefined;
    // written but never acked (the client may not have processed them): deliver again, first, on the next login
    if (account.unacked.size) {
      account.offlineQueue.unshift(...account.unacked.values());
      account.unacked.clear();
    }
  }

  deliver(account: Account, deliveryJob: DeliveryJob, ackId?: string): void {
    const job: DeliveryJob = async (connection, offline) => {
      if (ackId) account.unacked.set(ackId, job); // before writing: the ack can arrive before this job resumes
      try {
        await deliveryJob(connection, offline);
      } catch (error) {
        if (ackId) account.unacked.delete(ackId);
        // the socket died under us: keep the stanza for the next login
        if (!connection.isOpen) account.offlineQueue.unshift(job);
        else throw error;
      }
    };
    const connection = account.connection;
    if (!connection?.isOpen || !connection.active) {
      account.offlineQueue.push(job);
      return;
    }
    let queue = this.deliveryQueues.get(account.phone);
    if (!queue) this.deliveryQueues.set(account.phone, (queue = new SerialQueue()));
    void queue.run(async () => {
      // the client may have gone away while earlier jobs ran: keep the job for its next login
      if (!connection.isOpen) {
        account.offlineQueue.push(job);
        return;
      }
      try {
        await job(connection, false);
      } catch (error) {
        this.options.log('delivery failed', account.phone, error);
      }
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws/chat') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (Date.now() < this.refuseUntil) {
      // reset, not an HTTP error: Baileys listens for 'unexpected-response' without handling it, so a 503 would
      // leave it "connecting" forever; a reset surfaces as a WebSocket error and a close
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.connections.add(new Connection(ws, this));
    });
  }

  private requireAccount(phone: string): Account {
    const account = this.directory.account(assertDigits(phone, 'phone'));
    if (!account) throw new EmulatorInputError(`no linked account with phone ${phone}`);
    return account;
  }

  private historyFor(account: Account) {
    return { inboundText: (id: string) => this.inboundTexts.get(`${account.phone}:${id}`) };
  }
}

function assertDigits(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{5,20}$/.test(value)) {
    throw new EmulatorInputError(`${field} must be a phone number of 5 to 20 digits (no + or spaces)`);
  }
  return value;
}

/** Start an emulator: WebSocket at `url`, control API at `baseUrl`/control, media host. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new Emulator(options);
  await emulator.listen();
  return emulator;
}
