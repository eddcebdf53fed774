/** wh_ tokens: asked of the token service over RPC, answers cached briefly (see TokenCache). */
import { createHash } from 'node:crypto';
import type { Broker } from '@wahooks/broker';
import { VerifyToken } from '@wahooks/contracts';
import { TokenCache, type VerifiedToken } from './token-cache.js';
import type { TokenUseSink } from './token-use-reporter.js';

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

export class ApiTokenVerifier {
  readonly cache: TokenCache;
  /** One RPC per token at a time: a burst of requests with a cold cache shares the first answer. */
  private readonly inFlight = new Map<string, Promise<VerifiedToken>>();

  /**
   * `uses` hears of every token accepted from the cache: the token service never sees those uses, and marks
   * lastUsedAt itself only on the RPC path.
   */
  constructor(
    private readonly broker: Broker,
    ttlMs: number,
    private readonly uses?: TokenUseSink,
  ) {
    this.cache = new TokenCache(ttlMs);
  }

  cached(token: string): VerifiedToken | undefined {
    return this.hit(this.cache.get(sha256Hex(token)));
  }

  async verify(token: string): Promise<VerifiedToken> {
    const hash = sha256Hex(token);
    const cached = this.hit(this.cache.get(hash));
    if (cached) return cached;
    const pending = this.inFlight.get(hash);
    if (pending) return pending;
    const startedAt = Date.now();
    const call = this.broker
      .request(VerifyToken, { token })
      .then((verified) => {
        this.cache.set(hash, verified, startedAt);
        return verified;
      })
      .finally(() => {
        if (this.inFlight.get(hash) === call) this.inFlight.delete(hash);
      });
    this.inFlight.set(hash, call);
    return call;
  }

  private hit(found: VerifiedToken | undefined): VerifiedToken | undefined {
    if (found) this.uses?.mark(found.tokenId);
    return found;
  }

  /** token.token.revoked: forget the token at once. */
  revoke(tokenHash: string): void {
    this.cache.revoke(tokenHash);
    this.inFlight.delete(tokenHash);
  }
}
