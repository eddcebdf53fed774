/** Baileys objects hold Buffers, Uint8Arrays, protobuf Longs and Dates; events must be plain JSON. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isLong = (v: object): v is { low: number; high: number; unsigned: boolean; toNumber(): number } =>
  'low' in v && 'high' in v && 'unsigned' in v && typeof (v as { toNumber?: unknown }).toNumber === 'function';

export function toJsonSafe(value: unknown, depth = 0): Json | undefined {
  if (depth > 40) return null; // protobuf trees are shallow; a cycle or a runaway is cut, not followed
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return Number(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      break;
  }
  const obj = value as object;
  if (obj instanceof Uint8Array) return Buffer.from(obj).toString('base64'); // Buffer too
  if (obj instanceof Date) return obj.toISOString();
  if (isLong(obj)) return obj.toNumber();
  if (Array.isArray(obj)) return obj.map((v) => toJsonSafe(v, depth + 1) ?? null);
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(obj)) {
    const safe = toJsonSafe(v, depth + 1);
    if (safe !== undefined) out[k] = safe;
  }
  return out;
}
