/**
 * The auth guard (docs/api.md): `Authorization: Bearer <token>`; `wh_…` goes to the token service (cached),
 * anything else is a Supabase JWT verified locally. The first JWT seen for a user on this instance upserts the users row.
 */
import type { Broker } from '@wahooks/broker';
import { AppError, unauthorized, UpsertUser } from '@wahooks/contracts';
import type { AuthUser } from '../http/define-route.js';
import { ApiTokenVerifier } from './api-token-verifier.js';
import type { JwtVerifier } from './jwt-verifier.js';

export const AuthMessages = {
  header: 'Missing or invalid Authorization header',
  apiToken: 'Invalid or revoked API token',
} as const;

const MAX_KNOWN_USERS = 100_000; // per-instance memory of users already upserted

export class Authenticator {
  private readonly knownUsers = new Set<string>();
  private readonly upserting = new Map<string, Promise<void>>();

  constructor(
    private readonly broker: Broker,
    readonly apiTokens: ApiTokenVerifier,
    private readonly jwt: JwtVerifier,
  ) {}

  async authenticate(header: string | undefined): Promise<AuthUser> {
    if (!header || !header.startsWith('Bearer ')) throw unauthorized(AuthMessages.header);
    const token = header.slice('Bearer '.length).trim();
    if (!token) throw unauthorized(AuthMessages.header);
    if (token.startsWith('wh_')) return this.viaApiToken(token);
    const { sub, email } = await this.jwt.verify(token);
    await this.ensureUser(sub, email);
    return { id: sub, via: 'jwt', email };
  }

  /** The user of a wh_ token already in the cache, without any I/O (the hot path), else undefined. */
  cachedUser(header: string | undefined): AuthUser | undefined {
    if (!header?.startsWith('Bearer wh_')) return undefined;
    const hit = this.apiTokens.cached(header.slice('Bearer '.length).trim());
    return hit && { id: hit.userId, via: 'api-token', tokenId: hit.tokenId };
  }

  private async viaApiToken(token: string): Promise<AuthUser> {
    try {
      const { userId, tokenId } = await this.apiTokens.verify(token);
      return { id: userId, via: 'api-token', tokenId };
    } catch (err) {
      // Keep the documented 401 message whatever the token service words; 5xx (service down) pass through.
      if (err instanceof AppError && err.statusCode < 500) throw unauthorized(AuthMessages.apiToken);
      throw err;
    }
  }

  private async ensureUser(id: string, email: string | null): Promise<void> {
    if (this.knownUsers.has(id)) return;
    let pending = this.upserting.get(id);
    if (!pending) {
      pending = this.broker
        .request(UpsertUser, { id, email })
        .then(() => {
          if (this.knownUsers.size >= MAX_KNOWN_USERS) this.knownUsers.clear();
          this.knownUsers.add(id);
        })
        .finally(() => this.upserting.delete(id));
      this.upserting.set(id, pending);
    }
    await pending;
  }
}
