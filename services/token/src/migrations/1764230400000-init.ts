import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/** Schema `token`: users and api_tokens. TypeORM wants a 13-digit timestamp at the end of the name. */
export class TokenInit1764230400000 implements MigrationInterface {
  name = 'TokenInit1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "token"."users" (
        "id" uuid PRIMARY KEY,
        "email" text UNIQUE,
        "name" text,
        "is_admin" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "token"."api_tokens" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "token"."users" ("id") ON DELETE CASCADE,
        "name" varchar(100) NOT NULL,
        "token_hash" char(64) NOT NULL UNIQUE,
        "token_prefix" varchar(16) NOT NULL,
        "active" boolean NOT NULL DEFAULT true,
        "last_used_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // GET /api/tokens: a user's active tokens, newest first.
    await q.query(`
      CREATE INDEX "api_tokens_user_active_created_idx"
        ON "token"."api_tokens" ("user_id", "created_at" DESC) WHERE "active"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "token"."api_tokens"`);
    await q.query(`DROP TABLE "token"."users"`);
  }
}
