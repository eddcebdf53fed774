/** Webhook event filters (SPEC §3.4): exact names or "*"; no prefixes, no globs. */
import { WhatsAppEventNames } from '@wahooks/contracts';

const known = new Set<string>([...WhatsAppEventNames, '*']);

export const matchesFilter = (filter: readonly string[], eventName: string): boolean =>
  filter.includes('*') || filter.includes(eventName);

/** Validates a client's `events`: a non-empty array of known names or "*". Returns the problem or the list. */
export function checkEventFilter(events: unknown): { ok: true; events: string[] } | { ok: false; message: string } {
  if (events === undefined || events === null) return { ok: false, message: 'url and events are required' };
  if (!Array.isArray(events) || events.some((e) => typeof e !== 'string')) {
    return { ok: false, message: 'events must be an array of event names' };
  }
  if (events.length === 0) return { ok: false, message: 'events must not be empty (use ["*"] for every event)' };
  const unknown = (events as string[]).filter((e) => !known.has(e));
  if (unknown.length) return { ok: false, message: `unknown event name(s): ${unknown.join(', ')}` };
  return { ok: true, events: [...new Set(events as string[])] };
}
