/**
 * Refuses outbound URLs (webhook endpoints, media to fetch) that resolve to loopback, private, link-local, CGNAT,
 * multicast or cloud-metadata addresses, unless the URL's host is on the operator allow-list
 * (`OUTBOUND_ALLOWED_HOSTS`, see allowed-hosts.ts: host names or IP literals, matched against the URL's host
 * exactly, never against what a name resolves to, so allowing "127.0.0.1" does not allow "localhost"). Checked
 * up front (checkUrl) and again at connect time through a DNS lookup hook, which also defeats DNS rebinding.
 */
import dns from 'node:dns';
import net from 'node:net';

const blocked = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT, also Alibaba metadata 100.100.100.200
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, AWS/GCP/Azure metadata 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved + broadcast
] as const) {
  blocked.addSubnet(addr, prefix, 'ipv4');
}
for (const [addr, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo: tunnels to an (obfuscated) IPv4 address
  ['fc00::', 7], // unique local, includes AWS fd00:ec2::254
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96], // NAT64 can reach private v4
  ['64:ff9b:1::', 48], // local-use NAT64
] as const) {
  blocked.addSubnet(addr, prefix, 'ipv6');
}

/** The 8 groups of an IPv6 address (any textual form, incl. a trailing dotted quad); null when not IPv6. */
function ipv6Groups(ip: string): number[] | null {
  if (net.isIP(ip) !== 6) return null;
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

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * True when `ip` must not be reached. Addresses that embed an IPv4 address are judged by it: IPv4-mapped
 * (::ffff:a.b.c.d, any spelling) and 6to4 (2002:AABB:CCDD::/16 → A.B.C.D).
 */
export function isBlockedAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return true;
  if (family === 4) return blocked.check(ip, 'ipv4');
  const g = ipv6Groups(ip);
  if (!g || g.length !== 8 || g.some((x) => Number.isNaN(x))) return true;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return blocked.check(v4Of(g[6]!, g[7]!), 'ipv4');
  if (g[0] === 0x2002 && blocked.check(v4Of(g[1]!, g[2]!), 'ipv4')) return true;
  return blocked.check(g.map((x) => x.toString(16)).join(':'), 'ipv6');
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

export interface SsrfGuard {
  isAllowedHost(host: string): boolean;
  /** Create/update time: the reason a URL is refused, or null. Resolves the name. */
  checkUrl(url: URL): Promise<string | null>;
  /** Send time, before connecting: IP literals never reach the lookup hook. */
  literalBlocked(url: URL): boolean;
  /** A `lookup` for http.request/got that fails with code EBLOCKED on a forbidden address. */
  lookup: (hostname: string, options: dns.LookupOptions | LookupCallback, callback?: LookupCallback) => void;
}

const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

export function createSsrfGuard(allowedHosts: readonly string[]): SsrfGuard {
  const allowed = new Set(
    allowedHosts
      .map((h) =>
        h
          .trim()
          .replace(/^\[|\]$/g, '')
          .toLowerCase(),
      )
      .filter(Boolean),
  );
  const isAllowedHost = (host: string) => allowed.has(host.replace(/^\[|\]$/g, '').toLowerCase());

  return {
    isAllowedHost,
    literalBlocked(url) {
      const host = bareHost(url);
      return net.isIP(host) !== 0 && !isAllowedHost(host) && isBlockedAddress(host);
    },
    async checkUrl(url) {
      const host = bareHost(url);
      if (isAllowedHost(host)) return null;
      let addresses: string[];
      if (net.isIP(host)) addresses = [host];
      else {
        try {
          addresses = (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
        } catch {
          return `url host ${host} does not resolve`;
        }
      }
      const bad = addresses.find(isBlockedAddress);
      return bad
        ? `url must not point to a loopback, private, link-local or metadata address (${host} -> ${bad})`
        : null;
    },
    lookup(hostname, options, callback) {
      const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
      const opts: dns.LookupOptions =
        typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : options;
      dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
        if (err) return cb(err, []);
        if (!isAllowedHost(hostname)) {
          const bad = addresses.find((a) => isBlockedAddress(a.address));
          if (bad) {
            const e: NodeJS.ErrnoException = new Error(`BLOCKED_ADDRESS: ${hostname} resolves to ${bad.address}`);
            e.code = 'EBLOCKED';
            return cb(e, []);
          }
        }
        if (opts.all) return cb(null, addresses);
        const first = addresses[0];
        if (!first) return cb(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
        cb(null, first.address, first.family);
      });
    },
  };
}
