/** billing.stripe_events and invoice_events: which Stripe events were processed (each once), and invoices. */
import type { Sql } from '@wahooks/db';

export interface InvoiceRecord {
  eventId: string;
  type: string;
  invoiceId: string;
  customerId: string | null;
  userId: string | null;
  status: string | null;
  amountDue: number | null;
  amountPaid: number | null;
  currency: string | null;
}

export class StripeEventsRepo {
  constructor(private readonly sql: Sql) {}

  async seen(eventId: string): Promise<boolean> {
    const rows = await this.sql.query(`SELECT 1 FROM "billing"."stripe_events" WHERE "id" = $1`, [eventId]);
    return rows.length > 0;
  }

  /**
   * Marks the event processed, in the transaction that applies it. False when it already was (a duplicate
   * delivery, or a concurrent one that committed first: the caller then applies nothing).
   */
  async claim(tx: Sql, eventId: string, type: string, created: Date): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO "billing"."stripe_events" ("id", "type", "stripe_created") VALUES ($1, $2, $3)
       ON CONFLICT ("id") DO NOTHING RETURNING 1`,
      [eventId, type, created],
    );
    return rows.length > 0;
  }

  async recordInvoice(tx: Sql, r: InvoiceRecord): Promise<void> {
    await tx.query(
      `INSERT INTO "billing"."invoice_events" ("event_id", "type", "invoice_id", "stripe_customer_id", "user_id",
         "status", "amount_due", "amount_paid", "currency") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.eventId, r.type, r.invoiceId, r.customerId, r.userId, r.status, r.amountDue, r.amountPaid, r.currency],
    );
  }
}
