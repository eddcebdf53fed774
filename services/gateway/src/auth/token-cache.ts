/**
 * Short-lived memory of verified wh_ tokens, keyed by sha256(token) so raw tokens never sit in memory longer
 * than a request. `revoke(hash)` (on token.token.revoked) drops an entry at once and also stops a verification
 * that was already in flight from caching a now-stale "valid".
 */
export interface VerifiedToken {
  userId: string;
  tokenId: string;
}

interface Entry extends VerifiedToken {
  expiresAt: number; // ms epoch
}

const MAX_ENTRIES = 50_000; // bounds memory under a flood of distinct valid tokens

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** hash -> when it was revoked; kept one TTL so a verification that started before the event cannot cache it. */
  private readonly revokedAt = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  get(hash: string, now = Date.now()): VerifiedToken | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return e;
  }

  /** Cache a verification that started at `startedAt` unless the token was revoked since. */
  set(hash: string, value: VerifiedToken, startedAt: number, now = Date.now()): void {
    if (this.ttlMs <= 0) return;
    const revoked = this.revokedAt.get(hash);
    if (revoked !== undefined && revoked >= startedAt) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { ...value, expiresAt: now + this.ttlMs });
  }

  revoke(hash: string, now = Date.now()): void {
    this.entries.delete(hash);
    this.revokedAt.delete(hash); // re-insert at the end: the map stays in time order
    this.revokedAt.set(hash, now);
    for (const [h, at] of this.revokedAt) {
      if (at > now - Math.max(this.ttlMs, 60_000)) break; // insertion order = time order
      this.revokedAt.delete(h);
    }
  }

  /** Forget everything (e.g. after a broker reconnect, when revocation events may have been missed). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
