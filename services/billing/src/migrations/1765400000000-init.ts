import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/**
 * Schema `billing`: the Stripe customer of each user, a projection of their subscriptions (kept by webhooks and
 * by the live reads of status/checkout), every Stripe event id processed (dedupe), invoice events, and usage.
 */
export class BillingInit1765400000000 implements MigrationInterface {
  name = 'BillingInit1765400000000';

  async up(q: QueryRunner): Promise<void> {
    // One Stripe customer per user, created lazily (metadata.wahooks_user_id = user_id). `slots` is the paid
    // slots the projection says (the active subscription's quantity, 0 without one).
    await q.query(`
      CREATE TABLE "billing"."customers" (
        "user_id" uuid PRIMARY KEY,
        "stripe_customer_id" text NOT NULL UNIQUE,
        "email" text,
        "slots" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // The customer's subscriptions as Stripe last told us. `synced_at` is when that state was true at Stripe
    // (the event's `created`, or the start of a live read): an older event never overwrites a newer state.
    await q.query(`
      CREATE TABLE "billing"."subscriptions" (
        "id" text PRIMARY KEY,
        "user_id" uuid NOT NULL,
        "stripe_customer_id" text NOT NULL,
        "status" text NOT NULL,
        "quantity" integer NOT NULL,
        "price_id" text,
        "unit_amount" integer,
        "currency" text,
        "cancel_at_period_end" boolean NOT NULL DEFAULT false,
        "current_period_end" timestamptz,
        "stripe_created" timestamptz NOT NULL,
        "synced_at" timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX "subscriptions_user_created_idx" ON "billing"."subscriptions" ("user_id", "stripe_created" DESC)`,
    );
    // Every Stripe event id handled, written in the transaction that applied it: each is processed once.
    await q.query(`
      CREATE TABLE "billing"."stripe_events" (
        "id" text PRIMARY KEY,
        "type" text NOT NULL,
        "stripe_created" timestamptz NOT NULL,
        "processed_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // invoice.paid / invoice.payment_failed, recorded (no effect on slots).
    await q.query(`
      CREATE TABLE "billing"."invoice_events" (
        "event_id" text PRIMARY KEY REFERENCES "billing"."stripe_events" ("id"),
        "type" text NOT NULL,
        "invoice_id" text NOT NULL,
        "stripe_customer_id" text,
        "user_id" uuid,
        "status" text,
        "amount_due" integer,
        "amount_paid" integer,
        "currency" text,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per connection per usage period in which it was linked; connection_hours = the period's length.
    await q.query(`
      CREATE TABLE "billing"."usage_records" (
        "connection_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "period_start" timestamptz NOT NULL,
        "period_end" timestamptz NOT NULL,
        "connection_hours" numeric(10, 6) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("connection_id", "period_start")
      )`);
    await q.query(
      `CREATE INDEX "usage_records_user_period_idx" ON "billing"."usage_records" ("user_id", "period_start")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "billing"."usage_records"`);
    await q.query(`DROP TABLE "billing"."invoice_events"`);
    await q.query(`DROP TABLE "billing"."stripe_events"`);
    await q.query(`DROP TABLE "billing"."subscriptions"`);
    await q.query(`DROP TABLE "billing"."customers"`);
  }
}
