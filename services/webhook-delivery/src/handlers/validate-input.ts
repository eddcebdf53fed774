/** Client input of the webhook routes: 400 with a message a person can act on. */
import { badRequest } from '@wahooks/contracts';
import { checkEventFilter } from '../domain/filter.js';
import type { SsrfGuard } from '../domain/ssrf-guard.js';

export async function checkWebhookUrl(raw: unknown, guard: SsrfGuard): Promise<string> {
  if (typeof raw !== 'string' || !raw.trim()) throw badRequest('url must be an http(s) URL');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest('url must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must use http or https');
  if (!url.hostname) throw badRequest('url must have a host');
  const refused = await guard.checkUrl(url);
  if (refused) throw badRequest(refused);
  return url.toString();
}

export function checkEvents(raw: unknown): string[] {
  const r = checkEventFilter(raw);
  if (!r.ok) throw badRequest(r.message);
  return r.events;
}

export function checkActive(raw: unknown): boolean {
  if (typeof raw !== 'boolean') throw badRequest('active must be a boolean');
  return raw;
}

const LIMIT_MAX = 100; // the original returns at most 100 rows
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkLogQuery(q: { status?: unknown; event?: unknown; limit?: unknown; before?: unknown }) {
  const out: { status?: string; event?: string; before?: string; limit: number } = { limit: LIMIT_MAX };
  if (q.status !== undefined) {
    if (q.status !== 'pending' && q.status !== 'delivered' && q.status !== 'failed') {
      throw badRequest('status must be one of pending, delivered, failed');
    }
    out.status = q.status;
  }
  if (q.event !== undefined) {
    if (typeof q.event !== 'string' || !q.event) throw badRequest('event must be an event name');
    out.event = q.event;
  }
  if (q.limit !== undefined) {
    const n =
      typeof q.limit === 'number'
        ? q.limit
        : typeof q.limit === 'string' && /^\d+$/.test(q.limit)
          ? Number(q.limit)
          : NaN;
    if (!Number.isInteger(n) || n < 1 || n > LIMIT_MAX)
      throw badRequest(`limit must be an integer between 1 and ${LIMIT_MAX}`);
    out.limit = n;
  }
  if (q.before !== undefined) {
    if (typeof q.before !== 'string' || !UUID.test(q.before))
      throw badRequest('before must be a cursor from the X-Next-Cursor header');
    out.before = q.before;
  }
  return out;
}
