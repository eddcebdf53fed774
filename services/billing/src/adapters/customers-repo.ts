/** billing.customers: each user's Stripe customer and the paid slots the projection says they have. */
import type { Sql } from '@wahooks/db';

export interface CustomerRow {
  userId: string;
  customerId: string;
  email: string | null;
  slots: number;
}

const COLUMNS = `"user_id" AS "userId", "stripe_customer_id" AS "customerId", "email", "slots"`;

export class CustomersRepo {
  constructor(private readonly sql: Sql) {}

  async byUser(userId: string, sql: Sql = this.sql): Promise<CustomerRow | undefined> {
    const [row] = await sql.prepared<CustomerRow>(
      'billing_customer_by_user',
      `SELECT ${COLUMNS} FROM "billing"."customers" WHERE "user_id" = $1`,
      [userId],
    );
    return row;
  }

  async byCustomerId(customerId: string): Promise<CustomerRow | undefined> {
    const [row] = await this.sql.query<CustomerRow>(
      `SELECT ${COLUMNS} FROM "billing"."customers" WHERE "stripe_customer_id" = $1`,
      [customerId],
    );
    return row;
  }

  /**
   * Remember a user's customer. A user has one: when another request stored one first, that one wins and is
   * returned (the Stripe idempotency key makes both requests see the same customer anyway).
   */
  async remember(userId: string, customerId: string, email: string | null): Promise<CustomerRow> {
    await this.sql.query(
      `INSERT INTO "billing"."customers" ("user_id", "stripe_customer_id", "email") VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [userId, customerId, email],
    );
    const row = await this.byUser(userId);
    if (!row) throw new Error(`customer ${customerId} is stored for another user`);
    return row;
  }

  /** Sets the projection's paid slots; true when the value changed. */
  async setSlots(tx: Sql, userId: string, slots: number): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE "billing"."customers" SET "slots" = $2, "updated_at" = now()
       WHERE "user_id" = $1 AND "slots" IS DISTINCT FROM $2 RETURNING 1`,
      [userId, slots],
    );
    return rows.length > 0;
  }

  /** Serialises projection changes of one user (webhooks and live reads may race): held until the tx ends. */
  async lock(tx: Sql, userId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('wahooks:billing:' || $1))`, [userId]);
  }
}
