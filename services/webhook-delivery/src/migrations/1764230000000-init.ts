import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/**
 * Schema webhook_delivery (search_path is set by libs/db). Bodies live here, queue messages carry ids only.
 * deliveries.(event_id, webhook_id) is unique: fan-out is idempotent on the event id.
 */
export class InitWebhookDelivery1764230000000 implements MigrationInterface {
  name = 'InitWebhookDelivery1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE connections (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        connection_id uuid NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        signing_secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        active boolean NOT NULL DEFAULT true,
        consecutive_failures int NOT NULL DEFAULT 0, -- deliveries that ended failed since the last success
        failing_since timestamptz,                  -- first failed attempt since the last success
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhooks_connection_idx ON webhooks (connection_id);
      CREATE TABLE events (
        id text PRIMARY KEY,          -- evt_<ulid>: also the webhook-id header
        event text NOT NULL,
        connection_id uuid,           -- null for test events
        body text NOT NULL,           -- the exact bytes signed and sent
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id text NOT NULL REFERENCES events(id),
        event_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
        attempts int NOT NULL DEFAULT 0,     -- attempts made over the delivery's life
        series_start int NOT NULL DEFAULT 0, -- attempts made before the current series (a replay starts one)
        forced boolean NOT NULL DEFAULT false, -- test events and replays ignore webhooks.active
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (event_id, webhook_id)
      );
      CREATE INDEX deliveries_webhook_idx ON deliveries (webhook_id, created_at DESC, id DESC);
      CREATE TABLE attempts (
        delivery_id uuid NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt int NOT NULL,
        started_at timestamptz NOT NULL,
        status_code int,
        duration_ms int NOT NULL,
        error text,
        response_body text,
        PRIMARY KEY (delivery_id, attempt)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP TABLE attempts; DROP TABLE deliveries; DROP TABLE events; DROP TABLE webhooks; DROP TABLE connections;',
    );
  }
}
