/** api_tokens table access. Every statement is a single indexed lookup or write. */
import type { DataSource } from 'typeorm';
import { preparedQuery, type PreparedQuery } from './pg-pool.js';
import { TurnBatcher } from './turn-batcher.js';

export interface TokenRow {
  id: string;
  userId: string;
  name: string;
  tokenPrefix: string;
  active: boolean;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export interface NewTokenRow {
  userId: string;
  name: string;
  tokenHash: string;
  tokenPrefix: string;
}

const COLUMNS = `"id", "user_id" AS "userId", "name", "token_prefix" AS "tokenPrefix", "active",
  "last_used_at" AS "lastUsedAt", "created_at" AS "createdAt"`;

export class TokensRepo {
  private readonly prepared: PreparedQuery;
  private readonly activeLists: TurnBatcher<string, TokenRow[]>;

  constructor(private readonly db: DataSource) {
    this.prepared = preparedQuery(db);
    this.activeLists = new TurnBatcher((userIds) => this.listActiveMany(userIds));
  }

  async insert(token: NewTokenRow): Promise<TokenRow> {
    const rows: TokenRow[] = await this.db.query(
      `INSERT INTO "token"."api_tokens" ("user_id", "name", "token_hash", "token_prefix")
       VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [token.userId, token.name, token.tokenHash, token.tokenPrefix],
    );
    return rows[0]!;
  }

  /** Active tokens of a user, newest first. Lists asked for in the same turn share one query. */
  listActive(userId: string): Promise<TokenRow[]> {
    return this.activeLists.load(userId.toLowerCase()); // Postgres answers uuids in lower case
  }

  /** Active tokens of several users (served by the partial index on (user_id, created_at DESC)). */
  private async listActiveMany(userIds: string[]): Promise<Map<string, TokenRow[]>> {
    const rows = await this.prepared<TokenRow>(
      'token_list_active_many',
      `SELECT ${COLUMNS} FROM "token"."api_tokens"
       WHERE "user_id" = ANY($1::uuid[]) AND "active" ORDER BY "user_id", "created_at" DESC, "id"`,
      [userIds],
    );
    const lists = new Map<string, TokenRow[]>(userIds.map((id) => [id, []]));
    for (const row of rows) lists.get(row.userId)?.push(row);
    return lists;
  }

  async findById(id: string): Promise<(TokenRow & { tokenHash: string }) | null> {
    const rows: (TokenRow & { tokenHash: string })[] = await this.db.query(
      `SELECT ${COLUMNS}, "token_hash" AS "tokenHash" FROM "token"."api_tokens" WHERE "id" = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Soft revoke. Idempotent: revoking a revoked token changes nothing. */
  async deactivate(id: string): Promise<void> {
    await this.db.query(`UPDATE "token"."api_tokens" SET "active" = false WHERE "id" = $1 AND "active"`, [id]);
  }

  /** The hot path of every authenticated request: one unique-index lookup, active tokens only. */
  async findActiveByHash(tokenHash: string): Promise<{ id: string; userId: string } | null> {
    const rows = await this.prepared<{ id: string; userId: string }>(
      'token_verify',
      `SELECT "id", "user_id" AS "userId" FROM "token"."api_tokens" WHERE "token_hash" = $1 AND "active"`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }

  /** Batched lastUsedAt write; never moves a timestamp backwards. */
  async touchLastUsed(usage: ReadonlyMap<string, Date>): Promise<void> {
    if (usage.size === 0) return;
    await this.db.query(
      `UPDATE "token"."api_tokens" AS t SET "last_used_at" = v."at"
       FROM unnest($1::uuid[], $2::timestamptz[]) AS v("id", "at")
       WHERE t."id" = v."id" AND (t."last_used_at" IS NULL OR t."last_used_at" < v."at")`,
      [[...usage.keys()], [...usage.values()].map((d) => d.toISOString())],
    );
  }
}
