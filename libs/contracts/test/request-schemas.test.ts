/**
 * The request schemas that replaced hand checks, with the exact 400 messages the services gave before (docs/api.md),
 * and the one ZodError → 400 formatter every layer uses.
 */
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  badRequestFromZod,
  ConnectionBody,
  CreateConnection,
  CreateToken,
  CreateWebhook,
  CreateWebhookBody,
  ListWebhookLogs,
  LogQuery,
  UpdateConnection,
  UpdateWebhookBody,
  zodIssueMessages,
} from '../src/index.js';

/** The 400 message a schema gives for `value` (string or array), or the parsed value. */
function outcome(schema: z.ZodType, value: unknown): { ok: unknown } | { message: string | string[] } {
  const r = schema.safeParse(value);
  return r.success ? { ok: r.data } : { message: badRequestFromZod(r.error).body.message };
}

describe('the ZodError → 400 formatter', () => {
  const schema = z.object({
    name: z.string({ error: 'name is required' }),
    limit: z.number().int().max(100),
    tags: z.array(z.string({ error: 'tags must be strings' })).optional(),
    code: z
      .string()
      .check(
        (ctx) =>
          void (ctx.value === 'x' || ctx.issues.push({ code: 'custom', message: 'no such code', input: ctx.value })),
      )
      .optional(),
  });

  it('keeps messages that name their field, prefixes zod wording with its path, dedupes', () => {
    const error = schema.safeParse({ limit: 1000, tags: [1, 2], code: 'y' }).error!;
    expect(zodIssueMessages(error)).toEqual([
      'name is required',
      expect.stringMatching(/^limit: /),
      'tags must be strings', // two issues (tags.0, tags.1), one message, no index in front
      'no such code', // a custom check's message is whole
    ]);
    const one = badRequestFromZod(schema.safeParse({ name: 'a', limit: 1.5 }).error!);
    expect(one.statusCode).toBe(400);
    expect(one.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^limit: /) });
  });

  it('does not mistake a word containing the field name for naming it', () => {
    const ids = z.object({ id: z.uuid() });
    expect(zodIssueMessages(ids.safeParse({ id: 'nope' }).error!)).toEqual([expect.stringMatching(/^id: Invalid/)]);
  });
});

describe('connection name (POST/PATCH /api/connections)', () => {
  it('gives the service messages and turns "" into null', () => {
    expect(outcome(ConnectionBody, { name: 5 })).toEqual({ message: 'name must be a string' });
    expect(outcome(ConnectionBody, { name: ['x'] })).toEqual({ message: 'name must be a string' });
    expect(outcome(ConnectionBody, { name: 'x'.repeat(201) })).toEqual({
      message: 'name must be at most 200 characters',
    });
    expect(outcome(ConnectionBody, { name: '  ' })).toEqual({ ok: { name: null } });
    expect(outcome(ConnectionBody, { name: null })).toEqual({ ok: { name: null } });
    expect(outcome(ConnectionBody, {})).toEqual({ ok: {} });
    expect(outcome(ConnectionBody, { name: ' Sales ', other: 1 })).toEqual({ ok: { name: ' Sales ' } });
    const userId = '0b7e2a52-4a5e-4c4f-9d0e-2f1c3b4a5d6e';
    expect(outcome(CreateConnection.request, { userId, name: 42 })).toEqual({ message: 'name must be a string' });
    expect(outcome(UpdateConnection.request, { userId, connectionId: 'x', name: '' })).toEqual({
      ok: { userId, connectionId: 'x', name: null },
    });
  });
});

describe('webhook bodies', () => {
  it('create: url and events are required, once, whichever is missing', () => {
    for (const body of [{}, { events: ['*'] }, { url: 'https://example.com/' }, { url: null, events: ['*'] }])
      expect(outcome(CreateWebhookBody, body)).toEqual({ message: 'url and events are required' });
  });

  it('url: http(s) only, trimmed and normalised', () => {
    const withUrl = (url: unknown) => outcome(CreateWebhookBody, { url, events: ['*'] });
    for (const bad of ['not a url', '', '   ', 5, {}])
      expect(withUrl(bad)).toEqual({ message: 'url must be an http(s) URL' });
    expect(withUrl('ftp://example.com/x')).toEqual({ message: 'url must use http or https' });
    expect(withUrl(' https://Example.com/a b ')).toEqual({ ok: { url: 'https://example.com/a%20b', events: ['*'] } });
  });

  it('events: a non-empty array of known names or "*", duplicates dropped', () => {
    const withEvents = (events: unknown) => outcome(CreateWebhookBody, { url: 'https://example.com/', events });
    expect(withEvents('message')).toEqual({ message: 'events must be an array of event names' });
    expect(withEvents(['message', 1, 2])).toEqual({ message: 'events must be an array of event names' });
    expect(withEvents([])).toEqual({ message: 'events must not be empty (use ["*"] for every event)' });
    expect(withEvents(['message', 'nope.event', 'message.*'])).toEqual({
      message: 'unknown event name(s): nope.event, message.*',
    });
    expect(withEvents(['message', 'message', '*'])).toEqual({
      ok: { url: 'https://example.com/', events: ['message', '*'] },
    });
  });

  it('several problems are all reported (NestJS style array)', () => {
    expect(outcome(CreateWebhookBody, { url: 'ftp://x.test', events: [] })).toEqual({
      message: ['url must use http or https', 'events must not be empty (use ["*"] for every event)'],
    });
  });

  it('update: every field optional; null is a wrong value, as the service always answered', () => {
    expect(outcome(UpdateWebhookBody, {})).toEqual({ ok: {} });
    expect(outcome(UpdateWebhookBody, { active: 'yes' })).toEqual({ message: 'active must be a boolean' });
    expect(outcome(UpdateWebhookBody, { active: null })).toEqual({ message: 'active must be a boolean' });
    expect(outcome(UpdateWebhookBody, { url: null })).toEqual({ message: 'url must be an http(s) URL' });
    expect(outcome(UpdateWebhookBody, { events: null })).toEqual({ message: 'url and events are required' });
    expect(outcome(UpdateWebhookBody, { active: false })).toEqual({ ok: { active: false } });
  });

  it('the command requests carry the same rules', () => {
    const req = { userId: '0b7e2a52-4a5e-4c4f-9d0e-2f1c3b4a5d6e', connectionId: 'c' };
    expect(outcome(CreateWebhook.request, { ...req, events: ['*'] })).toEqual({
      message: 'url and events are required',
    });
  });
});

describe('logs query', () => {
  it('status, event, limit (HTTP strings or numbers, default 100) and before', () => {
    expect(outcome(LogQuery, {})).toEqual({ ok: { limit: 100 } });
    expect(outcome(LogQuery, { limit: '7', status: 'failed', event: 'message' })).toEqual({
      ok: { limit: 7, status: 'failed', event: 'message' },
    });
    for (const limit of ['0', 101, '1.5', 1.5, 'abc', '', null, ['1', '2']])
      expect(outcome(LogQuery, { limit })).toEqual({ message: 'limit must be an integer between 1 and 100' });
    for (const status of ['done', ['failed', 'pending'], 1])
      expect(outcome(LogQuery, { status })).toEqual({ message: 'status must be one of pending, delivered, failed' });
    for (const event of ['', 5])
      expect(outcome(LogQuery, { event })).toEqual({ message: 'event must be an event name' });
    for (const before of ['abc', 5])
      expect(outcome(LogQuery, { before })).toEqual({
        message: 'before must be a cursor from the X-Next-Cursor header',
      });
    const req = { userId: '0b7e2a52-4a5e-4c4f-9d0e-2f1c3b4a5d6e', webhookId: 'w' };
    expect(outcome(ListWebhookLogs.request, { ...req, limit: 2 })).toEqual({ ok: { ...req, limit: 2 } });
  });
});

describe('token name', () => {
  it('name is required', () => {
    const userId = '0b7e2a52-4a5e-4c4f-9d0e-2f1c3b4a5d6e';
    expect(outcome(CreateToken.request, { userId })).toEqual({ message: 'name is required' });
    expect(outcome(CreateToken.request, { userId, name: '  ' })).toEqual({ message: 'name is required' });
  });
});
