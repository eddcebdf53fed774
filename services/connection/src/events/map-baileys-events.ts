/**
 * Baileys events → WAHA-compatible events (docs/events.md). Pure: no I/O, so each batch can be mapped and written
 * to the outbox in one step. `dedupeKey` lets the outbox drop the same fact seen twice (Baileys repeats
 * messages as `notify` and `append`, and replays offline messages after a reconnect).
 */
import {
  getContentType,
  proto,
  toNumber,
  type BaileysEventMap,
  type WACallEvent,
  type WAMessage,
} from '@whiskeysockets/baileys';
import type { WhatsAppEventName } from '@wahooks/contracts';
import { ackFromStatus, ackName, type Ack } from './ack.js';
import { preferPn, toChatId } from './jids.js';
import { contentOf, keyParts, toWahaMessage, wahaMessageId, type MapContext } from './message-payload.js';

export interface MappedEvent {
  event: WhatsAppEventName;
  payload: unknown;
  dedupeKey?: string;
}

const { REVOKE, MESSAGE_EDIT } = proto.Message.ProtocolMessage.Type;
const { CIPHERTEXT } = proto.WebMessageInfo.StubType;

/** A message people see: not a protocol/reaction/poll-vote carrier, not an empty stub (e.g. CIPHERTEXT). */
export function isUserMessage(msg: WAMessage): boolean {
  const content = contentOf(msg);
  // getContentType skips senderKeyDistributionMessage/messageContextInfo: a sender's first group message
  // carries its sender key AND the text in the same proto, and must count as a message.
  if (!content || !getContentType(content)) return false;
  return !content.protocolMessage && !content.reactionMessage && !content.pollUpdateMessage;
}

export function mapMessagesUpsert(upsert: BaileysEventMap['messages.upsert'], ctx: MapContext): MappedEvent[] {
  const out: MappedEvent[] = [];
  for (const msg of upsert.messages) {
    if (!msg.key?.id || !msg.key.remoteJid) continue;
    const id = wahaMessageId(msg.key);
    // The WAHA id names chat and id only; in a group the sender too, or one member's message with another's id
    // would be dropped as a repeat of it (ids are the sender's choice: store-key.ts).
    const once = msg.key.participant ? `${id}_${toChatId(preferPn(msg.key.participant, msg.key.participantAlt))}` : id;
    const content = contentOf(msg);
    const parts = keyParts(msg.key, ctx.me);

    if (content?.reactionMessage) {
      const r = content.reactionMessage;
      out.push({
        event: 'message.reaction',
        dedupeKey: `message.reaction:${once}`,
        payload: {
          id,
          from: parts.from,
          fromMe: parts.fromMe,
          participant: parts.participant,
          to: parts.to,
          timestamp: toNumber(msg.messageTimestamp as number),
          reaction: { text: r.text ?? '', messageId: r.key ? wahaMessageId(r.key) : null },
        },
      });
      continue;
    }

    const protocol = content?.protocolMessage;
    if (protocol?.type === REVOKE && protocol.key?.id) {
      const revokedKey = { ...protocol.key, remoteJid: protocol.key.remoteJid ?? msg.key.remoteJid };
      const before = ctx.findMessage?.(revokedKey);
      out.push({
        event: 'message.revoked',
        dedupeKey: `message.revoked:${once}`,
        payload: {
          after: toWahaMessage(msg, ctx),
          before: before ? toWahaMessage(before, ctx) : null,
          revokedMessageId: protocol.key.id,
        },
      });
      continue;
    }
    if (protocol?.type === MESSAGE_EDIT && protocol.key?.id) {
      const edited = protocol.editedMessage ?? undefined;
      const base = toWahaMessage(msg, ctx);
      const newBody = edited ? toWahaMessage({ ...msg, message: edited }, ctx).body : null;
      out.push({
        event: 'message.edited',
        dedupeKey: `message.edited:${once}`,
        payload: { ...base, body: newBody, editedMessageId: protocol.key.id },
      });
      continue;
    }
    if (msg.messageStubType === CIPHERTEXT) {
      // Not decrypted (yet): the phone shows "Waiting for this message". Baileys asks the sender to resend, and
      // the decrypted message then comes under the same key id as `message`.
      if (!parts.fromMe)
        out.push({ event: 'message.waiting', dedupeKey: `message.waiting:${once}`, payload: toWahaMessage(msg, ctx) });
      continue;
    }
    if (!isUserMessage(msg)) continue;

    const payload = toWahaMessage(msg, ctx);
    out.push({ event: 'message.any', dedupeKey: `message.any:${once}`, payload });
    if (!parts.fromMe) out.push({ event: 'message', dedupeKey: `message:${once}`, payload });
    // A receipt that reached Baileys before it flushed its event buffer comes folded into our own message's
    // upsert (its `status`), with no messages.update: publish the ack anyway (same dedupe key as from an update).
    const folded = parts.fromMe ? ackFromStatus(msg.status) : null;
    if (folded !== null && folded >= 2) out.push(ackEvent(msg.key, folded, ctx));
  }
  return out;
}

/** `message.ack` for one of our messages in a 1:1 chat: its WAHA id, the chat (`from`/`to`), ack and name. */
function ackEvent(key: WAMessage['key'], ack: Ack, ctx: MapContext): MappedEvent {
  const id = wahaMessageId(key);
  const parts = keyParts(key, ctx.me);
  return {
    event: 'message.ack',
    dedupeKey: `message.ack:${id}:${ack}`,
    payload: {
      id,
      from: parts.from,
      to: parts.to,
      participant: parts.participant,
      fromMe: true,
      ack,
      ackName: ackName(ack),
    },
  };
}

/** Delivery/read receipts of messages this number sent, in 1:1 chats (groups come as receipts, below). */
export function mapMessagesUpdate(updates: BaileysEventMap['messages.update'], ctx: MapContext): MappedEvent[] {
  const out: MappedEvent[] = [];
  for (const { key, update } of updates) {
    if (!key?.id || !key.fromMe || update.status === null || update.status === undefined) continue;
    const ack = ackFromStatus(update.status);
    if (ack !== null) out.push(ackEvent(key, ack, ctx));
  }
  return out;
}

/** Group (and status) receipts: one per reader. */
export function mapReceiptUpdate(updates: BaileysEventMap['message-receipt.update'], ctx: MapContext): MappedEvent[] {
  const out: MappedEvent[] = [];
  for (const { key, receipt } of updates) {
    if (!key?.id || !key.fromMe) continue;
    const ack = receipt.playedTimestamp ? 4 : receipt.readTimestamp ? 3 : receipt.receiptTimestamp ? 2 : null;
    if (ack === null) continue;
    const id = wahaMessageId(key);
    const parts = keyParts(key, ctx.me);
    const reader = toChatId(receipt.userJid);
    out.push({
      event: 'message.ack',
      dedupeKey: `message.ack:${id}:${ack}:${reader}`,
      payload: { id, from: parts.from, to: parts.to, participant: reader, fromMe: true, ack, ackName: ackName(ack) },
    });
  }
  return out;
}

const PRESENCE: Record<string, string> = {
  available: 'online',
  unavailable: 'offline',
  composing: 'typing',
  recording: 'recording',
  paused: 'paused',
};

export function mapPresence(update: BaileysEventMap['presence.update']): MappedEvent[] {
  const presences = Object.entries(update.presences).map(([participant, data]) => ({
    participant: toChatId(participant),
    lastKnownPresence: PRESENCE[data.lastKnownPresence] ?? data.lastKnownPresence,
    lastSeen: data.lastSeen ?? null,
  }));
  return [{ event: 'presence.update', payload: { id: toChatId(update.id), presences } }];
}

const CALL_EVENTS: Partial<Record<WACallEvent['status'], WhatsAppEventName>> = {
  offer: 'call.received',
  accept: 'call.accepted',
  reject: 'call.rejected',
};

export function mapCalls(calls: WACallEvent[]): MappedEvent[] {
  const out: MappedEvent[] = [];
  for (const call of calls) {
    const event = CALL_EVENTS[call.status];
    if (!event) continue;
    out.push({
      event,
      dedupeKey: `${event}:${call.id}`,
      payload: {
        id: call.id,
        from: toChatId(preferPn(call.from, call.callerPn)),
        timestamp: Math.floor(new Date(call.date).getTime() / 1000),
        isVideo: Boolean(call.isVideo),
        isGroup: Boolean(call.isGroup),
      },
    });
  }
  return out;
}

export function mapChatsUpdate(updates: BaileysEventMap['chats.update'], ctx: MapContext): MappedEvent[] {
  const out: MappedEvent[] = [];
  for (const chat of updates) {
    if (!chat.id || typeof chat.archived !== 'boolean') continue;
    out.push({
      event: 'chat.archive',
      payload: { id: toChatId(chat.id), archived: chat.archived, timestamp: Math.floor(ctx.nowMs() / 1000) },
    });
  }
  return out;
}

/** WAHA session statuses for this service's connection statuses. */
export const WahaSessionStatus = {
  pending: 'STARTING',
  scan_qr: 'SCAN_QR_CODE',
  working: 'WORKING',
  failed: 'FAILED',
  stopped: 'STOPPED',
} as const;
export type ConnectionStatus = keyof typeof WahaSessionStatus;

export interface StatusChange {
  status: ConnectionStatus;
  timestampMs: number;
}

/** `session.status` with the last three statuses, newest last, as WAHA sends them. */
export function mapSessionStatus(history: StatusChange[]): MappedEvent {
  const last = history.slice(-3).map((h) => ({ status: WahaSessionStatus[h.status], timestamp: h.timestampMs }));
  const current = last[last.length - 1];
  return { event: 'session.status', payload: { status: current?.status ?? 'STOPPED', statuses: last } };
}
