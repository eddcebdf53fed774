/**
 * Poll votes of one Baileys batch → `poll.vote` / `poll.vote.failed` (events/map-poll-votes.ts). Runs after the
 * batch is written (so a poll sent a moment ago is in the message store) and looks each voted poll up there.
 */
import type { BaileysEventMap, WAMessage, WAMessageKey } from '@whiskeysockets/baileys';
import { mapPollVote, votedPoll, type MapContext, type MappedEvent, type OwnJids } from '../events/index.js';

export async function pollVoteEvents(
  upsert: BaileysEventMap['messages.upsert'] | undefined,
  deps: { loadMessage(key: WAMessageKey): Promise<WAMessage | undefined>; me: OwnJids; ctx: MapContext },
): Promise<MappedEvent[]> {
  const out: MappedEvent[] = [];
  for (const vote of upsert?.messages ?? []) {
    const pollKey = votedPoll(vote)?.pollCreationMessageKey;
    if (!pollKey?.id) continue;
    // Baileys turned the key to this session's view (its own poll, in the chat of the vote)
    const poll = await deps.loadMessage({ ...pollKey, remoteJid: pollKey.remoteJid ?? vote.key.remoteJid });
    const event = mapPollVote(vote, poll, deps.me, deps.ctx);
    if (event) out.push(event);
  }
  return out;
}
