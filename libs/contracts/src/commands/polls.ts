/**
 * Polls (docs/api.md, "Sending messages"): the body of POST /api/connections/:id/send-poll. It becomes a
 * `SendContent` of type `poll` (messaging.ts) and then an `OutboundContent` poll (session-send.ts); votes come back
 * as `poll.vote` events with the chosen option names (docs/events.md).
 */
import { z } from 'zod';
import { isChatId } from './messaging.js';

/** WhatsApp's limits: 2 to 12 options; names of at most 255 and options of at most 100 characters. */
export const MAX_POLL_OPTIONS = 12;
export const MAX_POLL_NAME = 255;
export const MAX_POLL_OPTION = 100;

const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

export const SendPollBody = z
  .object({
    chatId: z
      .string({ error: 'chatId must be a string' })
      .refine(
        (v) => v === '' || isChatId(v.trim()),
        'chatId must be a phone number or a chat id ending in @c.us, @s.whatsapp.net, @g.us or @lid (e.g. 15551234567@c.us)',
      )
      .optional()
      .describe('The chat: a phone number or a WhatsApp id (`<digits>@c.us`, `<id>@g.us` for a group, …).'),
    name: z
      .string({ error: 'name must be a string' })
      .max(MAX_POLL_NAME, `name must be at most ${MAX_POLL_NAME} characters`)
      .optional()
      .describe('The question.'),
    options: z
      .array(z.string({ error: 'options must be strings' }), { error: 'options must be an array of option names' })
      .optional()
      .describe(`${2} to ${MAX_POLL_OPTIONS} distinct answers, each 1 to ${MAX_POLL_OPTION} characters.`),
    multipleAnswers: z
      .boolean({ error: 'multipleAnswers must be a boolean' })
      .optional()
      .describe('true: voters may choose several options (default false: one).'),
    skipPresence: z
      .boolean({ error: 'skipPresence must be a boolean' })
      .optional()
      .describe('true: send at once, without marking the chat seen and showing "typing…" first.'),
  })
  .superRefine((v, ctx) => {
    if (!present(v.chatId) || !present(v.name) || v.options === undefined)
      ctx.addIssue({ code: 'custom', message: 'chatId, name and options are required' });
    const options = v.options ?? [];
    if (v.options !== undefined && (options.length < 2 || options.length > MAX_POLL_OPTIONS))
      ctx.addIssue({ code: 'custom', message: `options must hold 2 to ${MAX_POLL_OPTIONS} option names` });
    if (options.some((o) => !o.trim() || o.length > MAX_POLL_OPTION))
      ctx.addIssue({ code: 'custom', message: `each option must be 1 to ${MAX_POLL_OPTION} characters` });
    if (new Set(options.map((o) => o.trim())).size !== options.length)
      ctx.addIssue({ code: 'custom', message: 'options must be distinct' });
  })
  .meta({ required: ['chatId', 'name', 'options'] });
