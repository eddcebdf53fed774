/**
 * Supabase access tokens, verified locally (401 messages: docs/api.md): RS256/ES256 through the project's JWKS (kid
 * required), and HS256 with SUPABASE_JWT_SECRET for projects on the legacy shared secret.
 * No audience or issuer check, as the original.
 */
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { AppError, isUuid, unauthorized } from '@wahooks/contracts';

export const JwtMessages = {
  format: 'Invalid token format',
  kid: 'Token missing key ID (kid)',
  signingKey: 'Unable to verify token signing key',
  expired: 'Token has expired',
  signature: 'Invalid token signature',
  failed: 'Token verification failed',
} as const;

export interface JwtVerifierOptions {
  jwksUrl?: string;
  hs256Secret?: string;
  jwksTimeoutMs: number;
}

export interface VerifiedJwt {
  sub: string;
  email: string | null;
  payload: JWTPayload;
}

/** Marks a failure to obtain the signing key (fetch error, timeout, no such kid) as opposed to a bad token. */
class SigningKeyError extends Error {}

const FETCHES_PER_MINUTE = 10; // as jwks-rsa's rateLimit in the original: a bad kid flood cannot hammer Supabase

export class JwtVerifier {
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly secret?: Uint8Array;
  private fetchTimes: number[] = [];

  constructor(options: JwtVerifierOptions) {
    if (options.hs256Secret) this.secret = new TextEncoder().encode(options.hs256Secret);
    if (options.jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
        timeoutDuration: options.jwksTimeoutMs,
        cooldownDuration: 30_000, // a key rotation is picked up at most 30 s after a successful fetch
        cacheMaxAge: 10 * 60_000, // 10 min, as the original
        [customFetch]: (url, init) => {
          const now = Date.now();
          this.fetchTimes = this.fetchTimes.filter((t) => t > now - 60_000);
          if (this.fetchTimes.length >= FETCHES_PER_MINUTE)
            return Promise.reject(new Error('JWKS fetch rate limit reached'));
          this.fetchTimes.push(now);
          return fetch(url, init);
        },
      });
    }
  }

  async verify(token: string): Promise<VerifiedJwt> {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
      decodeJwt(token);
    } catch {
      throw unauthorized(JwtMessages.format);
    }
    let payload: JWTPayload;
    try {
      if (alg === 'HS256' && this.secret) {
        ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'] }));
      } else {
        if (!kid) throw unauthorized(JwtMessages.kid);
        const jwks = this.jwks;
        if (!jwks) throw new SigningKeyError('no JWKS configured (SUPABASE_URL / SUPABASE_JWKS_URL)');
        ({ payload } = await jwtVerify(
          token,
          async (header, input) => {
            try {
              return await jwks(header, input);
            } catch (err) {
              throw new SigningKeyError('signing key unavailable', { cause: err });
            }
          },
          { algorithms: ['RS256', 'ES256'] },
        ));
      }
    } catch (err) {
      throw mapError(err);
    }
    if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) throw unauthorized(JwtMessages.failed);
    const email = typeof payload.email === 'string' ? payload.email : null;
    return { sub: payload.sub.toLowerCase(), email, payload };
  }
}

function mapError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof SigningKeyError) return unauthorized(JwtMessages.signingKey);
  if (err instanceof errors.JWTExpired) return unauthorized(JwtMessages.expired);
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthorized(JwtMessages.signature);
  return unauthorized(JwtMessages.failed);
}
