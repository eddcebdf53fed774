/**
 * The query of `GET /api/ws`: `token` (required), `connectionId` (repeatable, or comma-separated), `events`
 * (comma-separated, repeatable; the webhook filter's names or `*`) and `after` (an event id to resume after).
 */
import { eventIdTime, isUuid, WebhookEvents } from '@wahooks/contracts';

export interface StreamQuery {
  token: string;
  connectionIds?: Set<string>; // lower-case uuids
  events?: Set<string>; // undefined: every event
  after?: { id: string; timeMs: number };
}

export type ParsedQuery =
  { ok: true; query: StreamQuery } | { ok: false; missingToken: true } | { ok: false; message: string };

/** Most connection ids one socket may name. */
export const MAX_CONNECTION_IDS = 100;

const list = (params: URLSearchParams, name: string): string[] =>
  params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

export function parseStreamQuery(search: URLSearchParams): ParsedQuery {
  const token = search.get('token')?.trim();
  if (!token) return { ok: false, missingToken: true };

  const query: StreamQuery = { token };
  const ids = list(search, 'connectionId');
  if (ids.length > 0) {
    const bad = ids.find((id) => !isUuid(id));
    if (bad !== undefined) return { ok: false, message: `Invalid connectionId: ${bad.slice(0, 64)}` };
    if (ids.length > MAX_CONNECTION_IDS)
      return { ok: false, message: `At most ${MAX_CONNECTION_IDS} connectionId values` };
    query.connectionIds = new Set(ids.map((id) => id.toLowerCase()));
  }

  if (search.has('events')) {
    const parsed = WebhookEvents.safeParse(list(search, 'events'));
    if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message.slice(0, 100) };
    if (!parsed.data.includes('*')) query.events = new Set(parsed.data);
  }

  const after = search.get('after')?.trim();
  if (after) {
    const timeMs = eventIdTime(after);
    if (timeMs === undefined) return { ok: false, message: 'Invalid after: expected an event id (evt_…)' };
    query.after = { id: after.toLowerCase(), timeMs };
  }
  return { ok: true, query };
}
