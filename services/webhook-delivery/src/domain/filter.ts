/**
 * Webhook event filters (docs/webhooks.md): exact names or "*"; no prefixes, no globs. The rules and their messages are
 * the contract's `WebhookEvents` schema (requests are checked with it by the gateway and the broker); matching an
 * event against the stored lists is SQL, in the fan-out statement (adapters/).
 */
import { WebhookEvents } from '@wahooks/contracts';

/** Validates a client's `events`: a non-empty array of known names or "*". Returns the problem or the list. */
export function checkEventFilter(events: unknown): { ok: true; events: string[] } | { ok: false; message: string } {
  const r = WebhookEvents.safeParse(events);
  return r.success ? { ok: true, events: r.data } : { ok: false, message: r.error.issues[0]!.message };
}
