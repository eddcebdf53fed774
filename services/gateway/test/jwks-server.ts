/** A local JWKS endpoint and a signer, standing in for a Supabase project's auth server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

type Alg = 'RS256' | 'ES256';

export interface JwksServer {
  url: string; // the JWKS document URL
  requests: number;
  sign(
    payload: JWTPayload,
    options?: { alg?: Alg; kid?: string | null; expiresIn?: string | number; foreignKey?: boolean },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const keys = {
    RS256: await generateKeyPair('RS256', { extractable: true }),
    ES256: await generateKeyPair('ES256', { extractable: true }),
  };
  const foreign = { RS256: await generateKeyPair('RS256'), ES256: await generateKeyPair('ES256') };
  const jwks: { keys: JWK[] } = { keys: [] };
  for (const alg of ['RS256', 'ES256'] as const)
    jwks.keys.push({ ...(await exportJWK(keys[alg].publicKey)), kid: `kid-${alg}`, alg, use: 'sig' });

  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    if (req.url !== '/auth/v1/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${base}/auth/v1/.well-known/jwks.json`,
    get requests() {
      return state.requests;
    },
    async sign(payload, options = {}) {
      const alg = options.alg ?? 'RS256';
      const kid = options.kid === undefined ? `kid-${alg}` : options.kid;
      const jwt = new SignJWT(payload).setProtectedHeader(kid === null ? { alg } : { alg, kid }).setIssuedAt();
      if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
      else jwt.setExpirationTime('1h');
      return jwt.sign(options.foreignKey ? foreign[alg].privateKey : keys[alg].privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A legacy HS256 Supabase token. */
export const signHs256 = (payload: JWTPayload, secret: string, expiresIn: string | number = '1h') =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
