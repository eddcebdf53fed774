/**
 * Label events against the labels a connection stored (real Postgres): Baileys' `labels.edit` →
 * `label.upsert` / `label.deleted`, `labels.association` of a chat → `label.chat.added` / `label.chat.deleted`
 * with the label as stored, and nothing for a change Baileys reports again (a resync from scratch replays every
 * label) or for a label on a single message. (Emulator to webhook: e2e/test/parity-labels.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import { LabelChatAssociation, WahaLabel } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { forgetSessionData } from '../src/sessions/session-store.js';
import { labelEvents, writeLabelEvents } from '../src/sessions/label-events.js';
import { buildEnvelope } from '../src/events/index.js';
import { listLabelChats, listLabels } from '../src/labels/labels-repo.js';
import { openConnectionDatabase, type ConnectionDatabase } from './support/database.js';
import { outboxEvents } from './support/emulated.js';

let env: TestEnv;
let database: ConnectionDatabase;
let sql: Sql;

beforeAll(async () => {
  env = await createTestEnv('conn_labels');
  database = await openConnectionDatabase(env.databaseUrl);
  sql = database.sql;
});

afterAll(async () => {
  await database?.close();
  await env.cleanup();
});

const edit = (label: BaileysEventMap['labels.edit']): Partial<BaileysEventMap> => ({ 'labels.edit': label });
const chatLabel = (type: 'add' | 'remove', labelId: string, chatId: string): Partial<BaileysEventMap> => ({
  'labels.association': { type, association: { type: 'label_jid' as never, labelId, chatId } },
});

describe('label events', () => {
  it('maps edits to label.upsert / label.deleted with WAHA payloads, once per real change', async () => {
    const id = randomUUID();
    const created = await labelEvents(edit({ id: '1', name: 'New customer', color: 1, deleted: false }), sql, id);
    expect(created).toEqual([
      { event: 'label.upsert', payload: { id: '1', name: 'New customer', color: 1, colorHex: '#64c4ff' } },
    ]);
    expect(WahaLabel.parse(created[0]!.payload)).toEqual(created[0]!.payload);
    // the same state again (a resync replays it): nothing
    expect(await labelEvents(edit({ id: '1', name: 'New customer', color: 1, deleted: false }), sql, id)).toEqual([]);
    const renamed = await labelEvents(edit({ id: '1', name: 'Customer', color: 1, deleted: false }), sql, id);
    expect(renamed.map((e) => [e.event, (e.payload as WahaLabel).name])).toEqual([['label.upsert', 'Customer']]);

    const deleted = await labelEvents(edit({ id: '1', name: 'Customer', color: 1, deleted: true }), sql, id);
    expect(deleted).toEqual([
      { event: 'label.deleted', payload: { id: '1', name: 'Customer', color: 1, colorHex: '#64c4ff' } },
    ]);
    expect(await labelEvents(edit({ id: '1', name: 'Customer', color: 1, deleted: true }), sql, id)).toEqual([]);
    // a label deleted before this connection ever saw it: nothing to forget
    expect(await labelEvents(edit({ id: '2', name: 'Old', color: 0, deleted: true }), sql, id)).toEqual([]);
    expect(await listLabels(sql, id)).toEqual([]);
    // a colour WhatsApp does not define has no hex
    const odd = await labelEvents(edit({ id: '3', name: 'Odd', color: 42, deleted: false }), sql, id);
    expect(odd[0]!.payload).toEqual({ id: '3', name: 'Odd', color: 42, colorHex: null });
  });

  it('maps chat labels to label.chat.added / .deleted with the stored label, chat ids as WAHA prints them', async () => {
    const id = randomUUID();
    await labelEvents(edit({ id: '5', name: 'VIP', color: 13, deleted: false }), sql, id);
    const added = await labelEvents(chatLabel('add', '5', '15557654321@s.whatsapp.net'), sql, id);
    expect(added).toEqual([
      {
        event: 'label.chat.added',
        payload: {
          labelId: '5',
          chatId: '15557654321@c.us',
          label: { id: '5', name: 'VIP', color: 13, colorHex: '#f74848' },
        },
      },
    ]);
    expect(LabelChatAssociation.parse(added[0]!.payload)).toEqual(added[0]!.payload);
    expect(await labelEvents(chatLabel('add', '5', '15557654321@s.whatsapp.net'), sql, id)).toEqual([]);
    await labelEvents(chatLabel('add', '5', '120363000000000001@g.us'), sql, id);
    expect(await listLabelChats(sql, id, '5')).toEqual(['120363000000000001@g.us', '15557654321@c.us']);

    const removed = await labelEvents(chatLabel('remove', '5', '15557654321@s.whatsapp.net'), sql, id);
    expect(removed.map((e) => [e.event, (e.payload as LabelChatAssociation).chatId])).toEqual([
      ['label.chat.deleted', '15557654321@c.us'],
    ]);
    expect(await labelEvents(chatLabel('remove', '5', '15557654321@s.whatsapp.net'), sql, id)).toEqual([]);

    // a label this connection never saw: named only
    const unknown = await labelEvents(chatLabel('add', '77', '15557654321@s.whatsapp.net'), sql, id);
    expect((unknown[0]!.payload as LabelChatAssociation).label).toBeNull();
    // a label on one message has no WAHA event
    expect(
      await labelEvents(
        {
          'labels.association': {
            type: 'add',
            association: { type: 'label_message' as never, labelId: '5', chatId: '1@s.whatsapp.net', messageId: 'X' },
          },
        },
        sql,
        id,
      ),
    ).toEqual([]);
  });

  it('writes the label change and its events to the outbox in one transaction, nothing for a replay', async () => {
    const id = randomUUID();
    const envelope = { connectionId: id, userId: randomUUID(), session: 'u_test_s_test', engineVersion: 'test' };
    const toOutbox = (m: Parameters<typeof buildEnvelope>[0]) => ({ envelope: buildEnvelope(m, envelope, Date.now()) });
    const created = edit({ id: '1', name: 'Lead', color: 2, deleted: false });
    expect(await writeLabelEvents(created, sql, id, toOutbox)).toBe(1);
    expect(await writeLabelEvents(created, sql, id, toOutbox)).toBe(0); // replayed: stored already, no event
    expect(await writeLabelEvents(chatLabel('add', '1', '15557654321@s.whatsapp.net'), sql, id, toOutbox)).toBe(1);
    const rows = await outboxEvents(sql, id);
    expect(rows.map((r) => [r.event, r.payload])).toEqual([
      ['label.upsert', { id: '1', name: 'Lead', color: 2, colorHex: '#ffd429' }],
      [
        'label.chat.added',
        { labelId: '1', chatId: '15557654321@c.us', label: { id: '1', name: 'Lead', color: 2, colorHex: '#ffd429' } },
      ],
    ]);
    // an outbox write that fails rolls the label change back: the next try maps it again
    const failing = () => {
      throw new Error('outbox entry refused');
    };
    const renamed = edit({ id: '1', name: 'Lead 2', color: 2, deleted: false });
    await expect(writeLabelEvents(renamed, sql, id, failing)).rejects.toThrow('outbox entry refused');
    expect((await listLabels(sql, id))[0]!.name).toBe('Lead');
    expect(await writeLabelEvents(renamed, sql, id, toOutbox)).toBe(1);
  });

  it("forgets a connection's labels with its other session data (logout)", async () => {
    const id = randomUUID();
    await labelEvents(edit({ id: '1', name: 'A', color: 0, deleted: false }), sql, id);
    await labelEvents(chatLabel('add', '1', '15557654321@s.whatsapp.net'), sql, id);
    await forgetSessionData(sql, id);
    expect(await listLabels(sql, id)).toEqual([]);
    expect(await listLabelChats(sql, id, '1')).toEqual([]);
  });
});
