/**
 * `webhook.disabled` on the service's outbox (@wahooks/outbox): the upgrade moves a disable whose event was still
 * unpublished (the old `disable_unpublished` flag) into the outbox, and re-activating a webhook drops its disable
 * event while it still waits (as clearing the flag did), never one already sent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebhookDisabled } from '@wahooks/contracts';
import { closeDatabase, openDatabase, sqlOf, type DataSource, type Sql } from '@wahooks/db';
import { writeOutbox } from '@wahooks/outbox';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { webhookDisabledEntry } from '../src/adapters/webhook-disabled-event.js';
import { createWebhooksRepo } from '../src/adapters/webhooks-repo.js';
import { webhookDeliveryMigrations } from '../src/migrations/index.js';
import { Outbox1764270000000 } from '../src/migrations/1764270000000-outbox.js';
import { SCHEMA } from '../src/service.js';

let env: TestEnv;
let db: DataSource | undefined;
let sql: Sql;

const insertWebhook = (q: Sql, disabled: boolean, unpublished?: boolean) =>
  q.query<{ id: string; user_id: string; connection_id: string }>(
    `INSERT INTO webhooks (user_id, connection_id, url, events, signing_secret, active, disabled_reason, disabled_at
       ${unpublished === undefined ? '' : ', disable_unpublished'})
     VALUES ($1, $2, 'https://example.com/hook', '{*}', $3, $4, $5, $6 ${unpublished === undefined ? '' : ', $7'})
     RETURNING id, user_id, connection_id`,
    [
      randomUUID(),
      randomUUID(),
      'a'.repeat(64),
      !disabled,
      disabled ? 'gone' : null,
      disabled ? new Date('2026-01-02T03:04:05.678Z') : null,
      ...(unpublished === undefined ? [] : [unpublished]),
    ],
  );

beforeAll(async () => {
  env = await createTestEnv('wd_disable_outbox');
});
afterAll(async () => {
  if (db) await closeDatabase(db);
  await env?.cleanup();
});

describe('webhook.disabled on the outbox', () => {
  it('the upgrade turns an unpublished disable into an outbox row, and forgets the published ones', async () => {
    const before = await openDatabase({
      url: env.databaseUrl,
      schema: SCHEMA,
      // the layout before the outbox table
      migrations: webhookDeliveryMigrations.slice(0, webhookDeliveryMigrations.indexOf(Outbox1764270000000)),
    });
    let pending: { id: string; user_id: string; connection_id: string };
    try {
      [pending] = (await insertWebhook(sqlOf(before), true, true)) as [typeof pending];
      await insertWebhook(sqlOf(before), true, false); // its event went out already
    } finally {
      await closeDatabase(before);
    }

    db = await openDatabase({ url: env.databaseUrl, schema: SCHEMA, migrations: webhookDeliveryMigrations });
    sql = sqlOf(db);
    const rows = await sql.query<{ event_id: string; event_type: string; partition_key: string; body: string }>(
      'SELECT event_id, event_type, partition_key, body FROM outbox WHERE sent_at IS NULL',
    );
    expect(rows.map((r) => ({ ...r, body: JSON.parse(r.body) }))).toEqual([
      {
        event_id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
        event_type: WebhookDisabled.type,
        partition_key: pending!.id,
        body: {
          webhookId: pending!.id,
          userId: pending!.user_id,
          connectionId: pending!.connection_id,
          url: 'https://example.com/hook',
          reason: 'gone',
          disabledAt: '2026-01-02T03:04:05.678Z',
        },
      },
    ]);
    const columns = await sql.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'disable_unpublished'`,
      [SCHEMA],
    );
    expect(columns).toEqual([]);
  });

  it('re-activating drops the disable event still waiting; one already sent stays', async () => {
    const webhooks = createWebhooksRepo(sql);
    const disable = async () => {
      const [w] = await insertWebhook(sql, true);
      const [row] = await sql.query<Parameters<typeof webhookDisabledEntry>[0]>(
        'SELECT id, user_id, connection_id, url, disabled_reason, disabled_at FROM webhooks WHERE id = $1',
        [w!.id],
      );
      await sql.transaction((tx) => writeOutbox(tx, [webhookDisabledEntry(row!)]));
      return w!.id;
    };
    const eventsOf = (id: string) =>
      sql.query<{ sent: boolean }>('SELECT sent_at IS NOT NULL AS sent FROM outbox WHERE partition_key = $1', [id]);

    const waiting = await disable();
    const sent = await disable();
    await sql.query('UPDATE outbox SET sent_at = now() WHERE partition_key = $1', [sent]);
    const stillDisabled = await disable();

    expect((await webhooks.update(waiting, { active: true }))!.active).toBe(true);
    expect((await webhooks.update(sent, { active: true }))!.active).toBe(true);
    expect((await webhooks.update(stillDisabled, { url: 'https://example.com/other' }))!.active).toBe(false);
    expect(await eventsOf(waiting)).toEqual([]);
    expect(await eventsOf(sent)).toEqual([{ sent: true }]);
    expect(await eventsOf(stillDisabled)).toEqual([{ sent: false }]); // not re-activated: the event stays
  });
});
