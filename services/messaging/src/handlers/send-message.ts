/**
 * One send, any type (POST …/send*, react, PUT/DELETE …/messages/:id):
 *
 *   owner check (404/403) → Idempotency-Key claim (replay / 422 / wait for a concurrent twin) → linked (409) →
 *   media ready (400/413/415/422) → recorded with its place in the chat → presence: seen, typing, wait → its turn
 *   in the chat → stop typing → the owner sends → 201 {id, timestamp, status}
 *
 * Every wait (presence, turn, the owner's answer, a concurrent twin) runs outside the handler's slot
 * (`ctx.withoutSlot`): 1,000 sends sleeping on presence keep no other command from running. The reply always
 * leaves before the request's deadline: a send that cannot start in time is refused (503, nothing sent).
 * Outcome unknown (the owner did not answer, or its socket closed after writing) → 504; the Idempotency-Key then
 * stays bound to the same WhatsApp id, so a retry sends only if the first try did not (the owner recognises it).
 */
import type { CommandHandler, MessageContext } from '@wahooks/broker';
import { BrokerHeaders } from '@wahooks/broker';
import {
  AppError,
  badRequest,
  notFound,
  SEND_COMMAND_TIMEOUT_MS,
  type MessageTarget,
  type OutboundContent,
  type SendContent,
  type SendMessage,
  type SentMessage,
} from '@wahooks/contracts';
import { NoSessionOwner, SendOutcomeUnknown } from '../adapters/session-owner.js';
import { apiMessageId, parseMessageRef, toJid } from '../domain/chat-id.js';
import { fingerprint } from '../domain/fingerprint.js';
import { newMessageId } from '../domain/message-id.js';
import { presenceDelayMs } from '../domain/presence.js';
import type { HandlerDeps } from './deps.js';
import { isMedia, mediaContent, prepareMedia, simpleContent, type PreparedMedia } from './prepare-content.js';

type Request = Parameters<CommandHandler<typeof SendMessage>>[0];

/** Time kept for the reply to travel and the last writes, ms. */
const MARGIN_MS = 1000;
/** The owner gets at least this long (or the whole send timeout, if shorter) to answer, ms. */
const MIN_SEND_WINDOW_MS = 10_000;
/** How often a request waits to see whether its concurrent twin (same Idempotency-Key) has finished, ms. */
const TWIN_POLL_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const messageOf = (err: unknown) =>
  err instanceof AppError ? err.message : err instanceof Error ? err.message : String(err);

function deadlineOf(ctx: MessageContext): number {
  const header = Number(ctx.headers[BrokerHeaders.deadline]);
  return Number.isFinite(header) && header > 0 ? header : Date.now() + SEND_COMMAND_TIMEOUT_MS;
}

interface Plan {
  chat: string; // Jid of the chat the message goes to
  replyTo?: MessageTarget;
  target?: MessageTarget; // reaction, edit, revoke
}

/** Where the message goes, and the message it quotes or acts on. */
async function plan(deps: HandlerDeps, req: Request): Promise<Plan> {
  const { content } = req;
  const chatOf = (raw: string | undefined) => (raw === undefined ? undefined : toJid(raw));
  if (content.type === 'reaction' || content.type === 'edit' || content.type === 'revoke') {
    const ref = parseMessageRef(content.messageId);
    if (!ref) throw badRequest('messageId must be a message id (true_<chatId>_<id>) or a WhatsApp message id');
    let { chat, fromMe } = ref;
    const known = await deps.messages.find(req.connectionId, ref.id);
    if (known) {
      chat ??= known.chat_id;
      fromMe ??= true;
    }
    chat ??= chatOf(req.chatId);
    if (!chat) throw notFound('Message not found');
    fromMe ??= false;
    if (content.type === 'edit') {
      if (!fromMe) throw badRequest('Only messages this connection sent can be edited');
      if (known && known.type !== 'text') throw badRequest('Only text messages can be edited');
    }
    if (content.type === 'revoke' && !fromMe && !chat.endsWith('@g.us'))
      throw badRequest('Only messages this connection sent can be deleted for everyone');
    const target = { chatId: chat, id: ref.id, fromMe, ...(ref.participant ? { participant: ref.participant } : {}) };
    return { chat, target };
  }
  const chat = chatOf(req.chatId);
  if (!chat) throw badRequest('chatId is required');
  if (!req.replyTo) return { chat };
  const ref = parseMessageRef(req.replyTo);
  if (!ref) throw badRequest('replyTo must be a message id (true_<chatId>_<id>) or a WhatsApp message id');
  const known = ref.fromMe === undefined ? await deps.messages.find(req.connectionId, ref.id) : undefined;
  const replyTo = {
    chatId: ref.chat ?? known?.chat_id ?? chat,
    id: ref.id,
    fromMe: ref.fromMe ?? Boolean(known),
    ...(ref.participant ? { participant: ref.participant } : {}),
  };
  return { chat, replyTo };
}

/** What makes two requests "the same" for an Idempotency-Key: uploads by their bytes' hash, not their key. */
function requestFingerprint(req: Request, p: Plan): string {
  const c = req.content;
  const content = isMedia(c)
    ? {
        ...c,
        media:
          c.media.kind === 'url'
            ? c.media
            : { kind: 'upload', sha256: c.media.sha256, size: c.media.size, mimetype: c.media.mimetype },
      }
    : c;
  return fingerprint({
    connectionId: req.connectionId,
    chat: p.chat,
    content,
    replyTo: req.replyTo ?? null,
    skipPresence: Boolean(req.skipPresence),
  });
}

function outbound(content: SendContent, p: Plan, media: PreparedMedia | undefined): OutboundContent {
  if (isMedia(content)) return mediaContent(content, media!.ref);
  switch (content.type) {
    case 'reaction':
      return { type: 'reaction', target: p.target!, emoji: content.reaction };
    case 'edit':
      return { type: 'edit', target: p.target!, text: content.text };
    case 'revoke':
      return { type: 'revoke', target: p.target! };
    case 'text':
    case 'location':
    case 'contact':
    case 'poll':
      return simpleContent(content);
  }
}

const unknownOutcome = (reason: string, id: string, connectionId: string, withKey: boolean) =>
  new AppError(
    504,
    `The outcome of this send is unknown: ${reason} (message ${id}). ${
      withKey
        ? 'Retry with the same Idempotency-Key: it is sent only if it was not sent already.'
        : `Check GET /api/connections/${connectionId}/messages/${id} before sending it again, or send with an Idempotency-Key to retry safely.`
    }`,
  );

export const handleSendMessage =
  (deps: HandlerDeps): CommandHandler<typeof SendMessage> =>
  async (req, ctx) => {
    const outside = <T>(work: () => Promise<T>): Promise<T> => (ctx.withoutSlot ? ctx.withoutSlot(work) : work());
    const deadline = deadlineOf(ctx);
    const { content } = req;
    // A staged upload is deleted here unless it was handed to the owner (who deletes it after its send).
    const upload = isMedia(content) && content.media.kind === 'upload' ? content.media.key : undefined;
    let uploadHandedOn = false;
    try {
      const owned = await deps.access.owned(req.userId, req.connectionId);
      const p = await plan(deps, req);
      const key = req.idempotencyKey;
      let messageId = newMessageId();
      let retry = false;
      if (key) {
        const fp = requestFingerprint(req, p);
        for (;;) {
          const claim = await deps.idempotency.claim(req.userId, key, fp, messageId, new Date(deadline));
          if (claim.kind === 'replay') return claim.response;
          if (claim.kind === 'mismatch')
            throw new AppError(422, 'This Idempotency-Key was already used with a different request body');
          if (claim.kind === 'new' || claim.kind === 'retry') {
            messageId = claim.messageId;
            retry = claim.kind === 'retry';
            break;
          }
          if (Date.now() + TWIN_POLL_MS > deadline - MARGIN_MS)
            throw new AppError(
              409,
              'A request with this Idempotency-Key is still in progress; retry when it has finished',
            );
          await outside(() => sleep(TWIN_POLL_MS));
        }
      }

      const id = apiMessageId(p.chat, messageId);
      let media: PreparedMedia | undefined;
      let accepted = false;
      let turnClosed = false;
      try {
        // The row just read says linked: asking again would read the same row (otherwise it asks the owner).
        if (owned.status !== 'working') await deps.access.linked(req.userId, req.connectionId);
        if (isMedia(content)) {
          media = await prepareMedia(deps, content, messageId);
          uploadHandedOn = !media.stagedHere;
        }
        const message = outbound(content, p, media);
        const { seq, earlierOpen } = await deps.messages.accept({
          connectionId: req.connectionId,
          messageId,
          userId: req.userId,
          chat: p.chat,
          type: content.type,
          turnUntil: new Date(deadline),
        });
        accepted = true;

        if (!req.skipPresence) {
          // As the original API: errors of these steps are ignored, except that nobody holds the session (then nothing is sent).
          await outside(() => deps.owner.markRead(req.connectionId, p.chat)).catch((err: unknown) => {
            if (err instanceof NoSessionOwner) throw err;
          });
          await outside(() => deps.owner.presence(req.connectionId, p.chat, 'composing')).catch(() => undefined);
          const len = content.type === 'text' ? content.text.length : undefined;
          await outside(() => sleep(presenceDelayMs(len, deps.config.MESSAGING_PRESENCE_SCALE)));
        }
        const sendWindow = Math.min(deps.config.MESSAGING_SEND_TIMEOUT_MS, MIN_SEND_WINDOW_MS);
        // Skipped when the accepting statement saw that no earlier message of the chat holds its turn (none can
        // appear later: a retry of an earlier one takes a new, later place).
        if (earlierOpen !== false)
          await outside(() => deps.turns.wait(req.connectionId, p.chat, seq, deadline - MARGIN_MS - sendWindow));
        if (!req.skipPresence)
          await outside(() => deps.owner.presence(req.connectionId, p.chat, 'paused')).catch(() => undefined);

        const timeoutMs = Math.max(
          1000,
          Math.min(deps.config.MESSAGING_SEND_TIMEOUT_MS, deadline - MARGIN_MS - Date.now()),
        );
        const sent = await outside(() =>
          deps.owner.send(
            { connectionId: req.connectionId, chatId: p.chat, messageId, content: message, replyTo: p.replyTo },
            timeoutMs,
          ),
        );
        // It went out: from here on nothing may turn the answer into a failure. A write that fails is logged; the
        // key (if any) then stays "running" until its lease ends, and a retry finds the owner's "already sent".
        const reply: SentMessage = { id, timestamp: sent.timestamp, status: 'sent' };
        try {
          const status = await deps.messages.advance(req.connectionId, messageId, 'sent', new Date(), {
            sentAt: sent.timestamp,
            error: null,
            closeTurn: true,
          });
          turnClosed = true;
          reply.status = status ?? 'sent';
          if (key) await deps.idempotency.done(req.userId, key, messageId, reply);
        } catch (err) {
          deps.logger.error({ err: messageOf(err), messageId }, 'sent, but its record was not updated');
        }
        return reply;
      } catch (err) {
        if (err instanceof SendOutcomeUnknown || retry) {
          // It may have gone out (now, or on the earlier try this one repeats): never free the id for another.
          uploadHandedOn = true; // the owner may still be reading it; its TTL removes it otherwise
          const reason = err instanceof SendOutcomeUnknown ? err.reason : messageOf(err);
          if (accepted) await deps.messages.noteError(req.connectionId, messageId, `outcome unknown: ${reason}`);
          if (key) await deps.idempotency.unknown(req.userId, key, messageId);
          if (err instanceof SendOutcomeUnknown) throw unknownOutcome(reason, id, req.connectionId, Boolean(key));
          throw err;
        }
        // Nothing was sent: the message failed, the key is free, the bytes go.
        uploadHandedOn = false;
        if (accepted) {
          await deps.messages.advance(req.connectionId, messageId, 'failed', new Date(), {
            error: messageOf(err),
            closeTurn: true,
          });
          turnClosed = true;
        }
        if (key) await deps.idempotency.release(req.userId, key, messageId);
        if (media?.stagedHere) await deps.media.drop(media.ref.key);
        throw err;
      } finally {
        if (accepted) {
          // If this write fails the turn still ends at turn_until (the request's deadline).
          if (!turnClosed)
            await deps.messages
              .closeTurn(req.connectionId, messageId)
              .catch((err: unknown) => deps.logger.warn({ err: messageOf(err) }, 'could not close a chat turn'));
          deps.turns.released(req.connectionId, p.chat);
        }
      }
    } finally {
      if (upload && !uploadHandedOn) await deps.media.drop(upload);
    }
  };
