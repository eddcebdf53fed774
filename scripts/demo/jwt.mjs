// The demo plays the identity provider: the gateway accepts HS256 JWTs signed with SUPABASE_JWT_SECRET (a legacy
// Supabase project's), so the demo sets a random secret on the gateway and signs a short-lived token with it.
import { createHmac } from 'node:crypto';

const base64url = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 JWT for user `sub` (a uuid), valid `ttlSeconds`. */
export function signHs256(secret, sub, email, ttlSeconds = 600) {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url({ alg: 'HS256', typ: 'JWT' });
  const payload = base64url({ sub, email, role: 'authenticated', iat: now, exp: now + ttlSeconds });
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
