import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level and undefined left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What "the same request" means for an Idempotency-Key: sha256 (hex) of its canonical JSON. */
export const fingerprint = (request: unknown): string =>
  createHash('sha256').update(canonicalJson(request)).digest('hex');
