/**
 * `poll.vote` (docs/events.md): a vote arrives as a `pollUpdateMessage` whose choices are encrypted under the
 * poll's secret (`messageContextInfo.messageSecret` of the poll message, which this session keeps). Baileys 7 no
 * longer decrypts votes itself, so it is done here: the key also depends on the poll creator's and the voter's
 * jids, which WhatsApp writes as phone numbers or LIDs, so each pair the keys allow is tried (AES-GCM tells the
 * right one). The choices are SHA-256 hashes of option names, given back as the names. A vote that cannot be read
 * (its poll is no longer kept, or no key fits) is `poll.vote.failed`, as WAHA does.
 */
import { createHash } from 'node:crypto';
import {
  decryptPollVote,
  isLidUser,
  jidNormalizedUser,
  toNumber,
  type proto,
  type WAMessage,
  type WAMessageKey,
} from '@whiskeysockets/baileys';
import { keyParts, wahaMessageId, contentOf, type MapContext } from './message-payload.js';
import type { MappedEvent } from './map-baileys-events.js';

/** This account's own jids (PN and LID), as Baileys' creds hold them. */
export interface OwnJids {
  pn?: string | null;
  lid?: string | null;
}

/** The poll a vote is for, and the options of a poll message (undefined when it is not one). */
export const votedPoll = (msg: WAMessage) => contentOf(msg)?.pollUpdateMessage ?? undefined;

function pollCreation(msg: WAMessage | undefined) {
  const content = msg ? contentOf(msg) : undefined;
  return content?.pollCreationMessage ?? content?.pollCreationMessageV2 ?? content?.pollCreationMessageV3 ?? undefined;
}

const normalized = (jids: (string | null | undefined)[]) => [
  ...new Set(jids.filter((j): j is string => Boolean(j)).map((j) => jidNormalizedUser(j))),
];

/** Who may have written a key: me (both my jids) or the other side (PN first, then LID). */
function authorsOf(key: WAMessageKey, me: OwnJids): string[] {
  if (key.fromMe) return normalized([me.pn, me.lid]);
  const jids = normalized([key.participant, key.participantAlt, key.remoteJid, key.remoteJidAlt]);
  return jids.filter((j) => !j.endsWith('@g.us')).sort((a, b) => Number(isLidUser(a)) - Number(isLidUser(b)));
}

/** The chosen option names, or undefined when no creator/voter pair decrypts the vote. */
export function decryptVote(
  vote: WAMessage,
  update: proto.Message.IPollUpdateMessage,
  poll: WAMessage,
  me: OwnJids,
): string[] | undefined {
  const creation = pollCreation(poll);
  const secret = contentOf(poll)?.messageContextInfo?.messageSecret ?? poll.message?.messageContextInfo?.messageSecret;
  if (!creation || !secret || !update.vote?.encPayload || !update.vote.encIv || !poll.key.id) return undefined;
  const names = new Map(
    (creation.options ?? []).map((o) => [
      createHash('sha256')
        .update(o.optionName ?? '')
        .digest('hex'),
      o.optionName ?? '',
    ]),
  );
  for (const pollCreatorJid of authorsOf(poll.key, me))
    for (const voterJid of authorsOf(vote.key, me)) {
      try {
        const decrypted = decryptPollVote(update.vote as { encPayload: Uint8Array; encIv: Uint8Array }, {
          pollCreatorJid,
          pollMsgId: poll.key.id,
          pollEncKey: secret,
          voterJid,
        });
        return (decrypted.selectedOptions ?? []).map((h) => names.get(Buffer.from(h).toString('hex')) ?? '');
      } catch {
        // not this pair: try the next
      }
    }
  return undefined;
}

/** WAHA's MessageDestination of a key: `{id, from, to, fromMe, participant}`. */
function destination(key: WAMessageKey, ctx: MapContext) {
  const parts = keyParts(key, ctx.me);
  return {
    id: wahaMessageId(key),
    from: parts.from,
    to: parts.to,
    fromMe: parts.fromMe,
    participant: parts.participant,
  };
}

/**
 * The event of one vote: `poll.vote` with the chosen option names, or `poll.vote.failed` (options unknown) when
 * `poll` is undefined or the vote does not decrypt.
 */
export function mapPollVote(
  vote: WAMessage,
  poll: WAMessage | undefined,
  me: OwnJids,
  ctx: MapContext,
): MappedEvent | undefined {
  const update = votedPoll(vote);
  const pollKey = update?.pollCreationMessageKey;
  if (!update || !pollKey?.id || !vote.key.id) return undefined;
  const selected = poll ? decryptVote(vote, update, poll, me) : undefined;
  const event = selected ? 'poll.vote' : 'poll.vote.failed';
  const timestamp = update.senderTimestampMs
    ? Math.floor(toNumber(update.senderTimestampMs as number) / 1000)
    : toNumber(vote.messageTimestamp as number);
  return {
    event,
    dedupeKey: `${event}:${vote.key.id}`,
    payload: {
      vote: { ...destination(vote.key, ctx), selectedOptions: selected ?? [], timestamp },
      poll: destination({ ...pollKey, remoteJid: pollKey.remoteJid ?? vote.key.remoteJid }, ctx),
    },
  };
}
