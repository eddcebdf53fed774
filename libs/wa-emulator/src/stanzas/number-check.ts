/**
 * The `contact` protocol of a usync query (Baileys `onWhatsApp`): is this phone number on WhatsApp. The client
 * must ask for `+<digits>` (E.164 with the plus, as WhatsApp expects); every number is on WhatsApp unless a test
 * said otherwise (`Emulator.setOnWhatsApp`). Each number asked is logged, so tests see what the client sent and
 * how often (caching).
 */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { ServerContext } from '../context.js';

const checks = new WeakMap<ServerContext, string[]>();

/** The raw `<contact>` contents of every usync contact query so far, oldest first. */
export const numberChecks = (ctx: ServerContext): string[] => [...(checks.get(ctx) ?? [])];

/** `<contact type=in|out>` for one usync user: `raw` is the phone the client sent, `user` the jid's user part. */
export function contactAnswer(ctx: ServerContext, raw: string | undefined, user: string | undefined): BinaryNode {
  if (raw !== undefined) {
    let log = checks.get(ctx);
    if (!log) checks.set(ctx, (log = []));
    log.push(raw);
  }
  const wellFormed = raw === undefined || /^\+\d{5,20}$/.test(raw);
  const registered = wellFormed && !!user && !ctx.directory.notOnWhatsApp.has(user);
  return { tag: 'contact', attrs: { type: registered ? 'in' : 'out' } };
}
