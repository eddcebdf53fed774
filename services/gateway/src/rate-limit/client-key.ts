/**
 * The key a client's requests are counted under. IPv4: the address. IPv6: its /64, because one subscriber
 * usually gets a whole /64 (or more) and can pick a fresh address from it for every request; counting
 * addresses would give them 2^64 separate limits. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a
 * dual-stack socket reports IPv4 clients) counts as its IPv4 address.
 */
import net from 'node:net';

/** The 8 16-bit groups of an IPv6 address in any textual form (`::`, a trailing dotted quad, a zone id). */
function ipv6Groups(ip: string): number[] {
  let text = ip.replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  return tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  if (net.isIP(ip) !== 6) return ip;
  const g = ipv6Groups(ip);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
