/**
 * Sockets opened with a `wh_` token close (4003) as soon as the token is revoked: every replica hears
 * `token.token.revoked` on its own exclusive queue, as its auth cache does. Revocations published while this
 * replica was cut off from the broker are lost with that queue, so after a reconnect every open socket's token is
 * verified again with the token service.
 */
import { on, type Broker } from '@wahooks/broker';
import { AppError, StreamClose, TokenRevoked, VerifyToken } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { Subscriber } from './subscriber.js';

/** How long a revocation is remembered for sockets whose handshake was under way when it came (ms). */
const REMEMBER_MS = 60_000;
const WATCH_MS = 250;

export class Revocations {
  /** sha256(token) → the raw token (kept for re-verification after a reconnect) and its sockets. */
  private readonly byHash = new Map<string, { token: string; subs: Set<Subscriber> }>();
  private readonly revokedAt = new Map<string, number>(); // insertion order = time order
  private watch?: NodeJS.Timeout;

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.broker.subscribe(
      'event-stream-revocations',
      [on(TokenRevoked, async ({ tokenHash }) => this.revoke(tokenHash))],
      { exclusive: true },
    );
    let wasConnected = this.broker.isConnected();
    this.watch = setInterval(() => {
      const connected = this.broker.isConnected();
      if (connected && !wasConnected) void this.verifyAll();
      wasConnected = connected;
    }, WATCH_MS).unref();
  }

  stop(): void {
    clearInterval(this.watch);
  }

  /**
   * Close `sub` when its token is revoked. Returns false (and tracks nothing) when it was revoked at or after
   * `since`, the moment its handshake started: the verification may have raced the revocation.
   */
  track(sub: Subscriber, token: string, hash: string, since: number): boolean {
    const revoked = this.revokedAt.get(hash);
    if (revoked !== undefined && revoked >= since) return false;
    let entry = this.byHash.get(hash);
    if (!entry) this.byHash.set(hash, (entry = { token, subs: new Set() }));
    entry.subs.add(sub);
    sub.onClose(() => {
      const e = this.byHash.get(hash);
      if (e?.subs.delete(sub) && e.subs.size === 0) this.byHash.delete(hash);
    });
    return true;
  }

  revoke(hash: string, now = Date.now()): void {
    this.revokedAt.delete(hash);
    this.revokedAt.set(hash, now);
    for (const [h, at] of this.revokedAt) {
      if (at > now - REMEMBER_MS) break;
      this.revokedAt.delete(h);
    }
    const entry = this.byHash.get(hash);
    if (!entry) return;
    this.byHash.delete(hash);
    for (const sub of entry.subs) sub.close(StreamClose.invalidToken);
  }

  /** Ask the token service about every open socket's token (not the cache: it may hold a revoked one). */
  private async verifyAll(): Promise<void> {
    await Promise.all(
      [...this.byHash].map(async ([hash, { token }]) => {
        try {
          await this.broker.request(VerifyToken, { token });
        } catch (err) {
          if (err instanceof AppError && err.statusCode < 500) this.revoke(hash);
          else this.logger.warn({ err: (err as Error).message }, 'event stream: token re-check after reconnect failed');
        }
      }),
    );
  }
}
