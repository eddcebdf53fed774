/** API token format (docs/api.md): `wh_` + 48 lower-case hex, 51 characters; only its sha256 is ever stored. */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'wh_';
const TOKEN_PATTERN = /^wh_[0-9a-f]{48}$/;

export interface NewToken {
  raw: string; // shown to the caller once, never stored or logged
  hash: string; // sha256 hex of `raw`: the lookup key
  prefix: string; // `raw.slice(0, 10) + '...'`, safe to display
}

export const hashToken = (raw: string): string => createHash('sha256').update(raw).digest('hex');

export const displayPrefix = (raw: string): string => `${raw.slice(0, 10)}...`;

/** Cheap syntactic check so garbage never costs a database round trip. */
export const isWellFormedToken = (raw: string): boolean => TOKEN_PATTERN.test(raw);

export function generateToken(): NewToken {
  const raw = TOKEN_PREFIX + randomBytes(24).toString('hex');
  return { raw, hash: hashToken(raw), prefix: displayPrefix(raw) };
}
