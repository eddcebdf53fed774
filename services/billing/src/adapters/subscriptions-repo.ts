/** billing.subscriptions: the projection of each customer's Stripe subscriptions. */
import type { Sql } from '@wahooks/db';
import type { SubscriptionState } from '../domain/subscription-state.js';

interface Row {
  id: string;
  customerId: string;
  status: string;
  quantity: number;
  priceId: string | null;
  unitAmount: number | null;
  currency: string | null;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  created: Date;
}

export class SubscriptionsRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * Store what Stripe said about a subscription at `syncedAt`, unless the row already holds a newer state (an
   * event delivered late never undoes a later change). True when written.
   */
  async upsert(tx: Sql, userId: string, s: SubscriptionState, syncedAt: Date): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO "billing"."subscriptions" AS t ("id", "user_id", "stripe_customer_id", "status", "quantity",
         "price_id", "unit_amount", "currency", "cancel_at_period_end", "current_period_end", "stripe_created", "synced_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT ("id") DO UPDATE SET
         "status" = EXCLUDED."status", "quantity" = EXCLUDED."quantity", "price_id" = EXCLUDED."price_id",
         "unit_amount" = EXCLUDED."unit_amount", "currency" = EXCLUDED."currency",
         "cancel_at_period_end" = EXCLUDED."cancel_at_period_end",
         "current_period_end" = EXCLUDED."current_period_end", "synced_at" = EXCLUDED."synced_at"
       WHERE t."synced_at" <= EXCLUDED."synced_at"
       RETURNING 1`,
      [
        s.id,
        userId,
        s.customerId,
        s.status,
        s.quantity,
        s.priceId,
        s.unitAmount,
        s.currency,
        s.cancelAtPeriodEnd,
        s.currentPeriodEnd,
        s.created,
        syncedAt,
      ],
    );
    return rows.length > 0;
  }

  async forUser(userId: string, sql: Sql = this.sql): Promise<SubscriptionState[]> {
    return sql.query<Row>(
      `SELECT "id", "stripe_customer_id" AS "customerId", "status", "quantity", "price_id" AS "priceId",
         "unit_amount" AS "unitAmount", "currency", "cancel_at_period_end" AS "cancelAtPeriodEnd",
         "current_period_end" AS "currentPeriodEnd", "stripe_created" AS "created"
       FROM "billing"."subscriptions" WHERE "user_id" = $1 ORDER BY "stripe_created" DESC`,
      [userId],
    );
  }
}
