/**
 * users table access. `id` is the Supabase `sub` (or an operator-chosen uuid for CLI-created users).
 * The original also kept `stripeCustomerId` here; it lives with the billing service, which owns customers.
 */
import type { Sql } from '@wahooks/db';

export interface UserRow {
  id: string;
  email: string | null;
  name: string | null;
  isAdmin: boolean;
}

export interface UpsertUserInput {
  id: string;
  email?: string | null; // undefined or null: keep what is stored
  name?: string | null;
}

const UNIQUE_VIOLATION = '23505';
const isEmailConflict = (err: unknown) =>
  (err as { code?: string }).code === UNIQUE_VIOLATION &&
  String((err as { constraint?: string }).constraint ?? '').includes('email');

export class UsersRepo {
  constructor(private readonly sql: Sql) {}

  async findById(id: string): Promise<UserRow | null> {
    const rows = await this.sql.query<UserRow>(
      `SELECT "id", "email", "name", "is_admin" AS "isAdmin" FROM "token"."users" WHERE "id" = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Insert the row if missing; nothing else. Used before creating a token so CLI-minted tokens have a user. */
  async ensureExists(id: string): Promise<void> {
    await this.sql.query(`INSERT INTO "token"."users" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING`, [id]);
  }

  /**
   * Create or refresh a user. Writes only when something changed (a repeated upsert is a read), and never
   * clears a stored email/name with an absent one. Returns whether the row was created by this call.
   */
  async upsert(input: UpsertUserInput): Promise<{ created: boolean }> {
    try {
      return await this.upsertRow(input.id, input.email ?? null, input.name ?? null);
    } catch (err) {
      // Another user row already holds this email (e.g. a Supabase account deleted and re-created with a
      // new sub). The id is what matters for auth: keep the user without the email instead of failing.
      if (!isEmailConflict(err)) throw err;
      return this.upsertRow(input.id, null, input.name ?? null);
    }
  }

  private async upsertRow(id: string, email: string | null, name: string | null): Promise<{ created: boolean }> {
    const rows = await this.sql.query<{ created: boolean }>(
      `INSERT INTO "token"."users" AS u ("id", "email", "name") VALUES ($1, $2, $3)
       ON CONFLICT ("id") DO UPDATE
         SET "email" = COALESCE(EXCLUDED."email", u."email"),
             "name" = COALESCE(EXCLUDED."name", u."name"),
             "updated_at" = now()
         WHERE (EXCLUDED."email" IS NOT NULL AND EXCLUDED."email" IS DISTINCT FROM u."email")
            OR (EXCLUDED."name" IS NOT NULL AND EXCLUDED."name" IS DISTINCT FROM u."name")
       RETURNING (xmax = 0) AS "created"`,
      [id, email, name],
    );
    // No row back: it existed and nothing changed.
    return { created: rows[0]?.created === true };
  }
}
