/**
 * Polls as WhatsApp handles them. A poll a linked client sends must be a poll stanza (`<message type=poll>` with
 * `<meta polltype=creation>`) whose message carries the options and a 32-byte `messageContextInfo.messageSecret`;
 * the record says what was wrong otherwise. A contact's vote is what a phone sends: a `pollUpdateMessage` naming
 * the poll, with the SHA-256 of each chosen option name encrypted (AES-256-GCM) under a key derived from the poll's
 * secret, the poll id, the creator's and the voter's jids (as Baileys' `decryptPollVote` undoes it).
 */
import { createHash, createHmac, randomBytes, createCipheriv } from 'node:crypto';
import { getBinaryNodeChild, proto, type BinaryNode } from '@whiskeysockets/baileys';
import type { Account, Contact } from './accounts.js';
import { EmulatorInputError } from './errors.js';
import type { OutboundRecord } from './outbound-record.js';

export interface PollInfo {
  name: string;
  options: string[];
  /** 0 = any number of options, 1 = exactly one (WhatsApp's "allow multiple answers" off) */
  selectableCount: number;
  /** messageContextInfo.messageSecret, base64 */
  secret: string;
}

/** The poll of a decrypted outbound message, if it is one. */
export function pollOf(m: proto.IMessage): PollInfo | undefined {
  const creation = m.pollCreationMessage ?? m.pollCreationMessageV2 ?? m.pollCreationMessageV3;
  if (!creation) return undefined;
  const secret = m.messageContextInfo?.messageSecret;
  return {
    name: creation.name ?? '',
    options: (creation.options ?? []).map((o) => o.optionName ?? ''),
    selectableCount: creation.selectableOptionsCount ?? 0,
    secret: secret ? Buffer.from(secret).toString('base64') : '',
  };
}

/** What WhatsApp requires of a poll stanza; the first problem, or undefined when it is right. */
export function pollStanzaProblem(node: BinaryNode, poll: PollInfo): string | undefined {
  if (node.attrs.type !== 'poll') return `a poll must be sent as <message type="poll">, not "${node.attrs.type}"`;
  if (getBinaryNodeChild(node, 'meta')?.attrs.polltype !== 'creation') return 'a poll needs <meta polltype="creation">';
  if (Buffer.from(poll.secret, 'base64').length !== 32)
    return 'a poll needs a 32-byte messageContextInfo.messageSecret';
  if (!poll.name.trim()) return 'a poll needs a name';
  if (poll.options.length < 2 || poll.options.length > 12) return 'a poll has 2 to 12 options';
  if (new Set(poll.options).size !== poll.options.length) return 'poll options must be distinct';
  if (poll.selectableCount < 0 || poll.selectableCount > poll.options.length) return 'bad selectableOptionsCount';
  return undefined;
}

/** Checks a recorded outbound poll against its stanza (called by the outbound capture). */
export function checkPollRecord(node: BinaryNode, record: OutboundRecord): void {
  if (!record.poll) return;
  const problem = pollStanzaProblem(node, record.poll);
  if (problem) record.error = problem;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The vote encryption key, as Baileys derives it to decrypt (decryptPollVote). */
function voteKey(secret: Buffer, pollId: string, creatorJid: string, voterJid: string): Buffer {
  const sign = Buffer.concat([
    Buffer.from(pollId),
    Buffer.from(creatorJid),
    Buffer.from(voterJid),
    Buffer.from('Poll Vote'),
    Buffer.from([1]),
  ]);
  const key0 = createHmac('sha256', Buffer.alloc(32)).update(secret).digest();
  return createHmac('sha256', key0).update(sign).digest();
}

export interface PollVoteCommand {
  /** the linked account that sent the poll (digits) */
  to: string;
  /** the contact who votes (digits) */
  from: string;
  /** the poll's message id (an outbound record of `to`) */
  pollId: string;
  /** option names; [] takes an earlier vote back */
  options: string[];
}

/**
 * The `pollUpdateMessage` contact `voter` sends for `options` of `poll` (an outbound record of `account`). The
 * creator and voter are named by their phone-number jids (PN addressing, as the emulator's stanzas).
 */
export function buildPollVote(
  account: Account,
  voter: Contact,
  poll: OutboundRecord,
  options: string[],
): proto.IMessage {
  const info = poll.poll;
  if (!info) throw new EmulatorInputError(`message ${poll.id} is not a poll`);
  if (!Array.isArray(options) || options.some((o) => typeof o !== 'string'))
    throw new EmulatorInputError('options must be an array of option names');
  const unknown = options.filter((o) => !info.options.includes(o));
  if (unknown.length) throw new EmulatorInputError(`not options of this poll: ${unknown.join(', ')}`);
  if (info.selectableCount === 1 && options.length > 1) throw new EmulatorInputError('this poll takes one answer only');
  const vote = proto.Message.PollVoteMessage.encode({ selectedOptions: options.map(sha256) }).finish();
  const iv = randomBytes(12);
  const voterJid = voter.peer.pnJid;
  const key = voteKey(Buffer.from(info.secret, 'base64'), poll.id, account.primary.pnJid, voterJid);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${poll.id}\u0000${voterJid}`));
  const encPayload = Buffer.concat([cipher.update(vote), cipher.final(), cipher.getAuthTag()]);
  // the key as the voter's phone writes it: not its own message, in the chat with the creator (or the group)
  return {
    pollUpdateMessage: {
      pollCreationMessageKey: {
        remoteJid: poll.group ?? account.primary.pnJid,
        fromMe: false,
        id: poll.id,
        ...(poll.group ? { participant: account.primary.pnJid } : {}),
      },
      vote: { encPayload, encIv: iv },
      senderTimestampMs: Date.now(),
    },
  };
}
