/**
 * Refuses outbound URLs (webhook endpoints, media to fetch) that resolve to loopback, private, link-local, CGNAT,
 * multicast or cloud-metadata addresses, unless the URL's host is on the operator allow-list
 * (`OUTBOUND_ALLOWED_HOSTS`, see allowed-hosts.ts: host names or IP literals, matched against the URL's host
 * exactly, never against what a name resolves to, so allowing "127.0.0.1" does not allow "localhost"). Checked
 * up front (checkUrl) and again at connect time through a DNS lookup hook, which also defeats DNS rebinding.
 */
import type dns from 'node:dns';
import net from 'node:net';
import { createHostResolver, type HostResolver } from './host-resolver.js';

/**
 * Why an address is refused. Messages and attempt logs name this category, never the address a name resolved
 * to (which would tell a customer about our internal network).
 */
export type BlockedCategory =
  | 'cloud metadata'
  | 'loopback'
  | 'link-local'
  | 'private network'
  | 'carrier-grade NAT'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'IPv6 transition'
  | 'invalid';

// Checked in this order: the narrow metadata addresses before the ranges that contain them.
const RANGES: [BlockedCategory, 'ipv4' | 'ipv6', string, number][] = [
  ['cloud metadata', 'ipv4', '169.254.169.254', 32], // AWS/GCP/Azure
  ['cloud metadata', 'ipv4', '100.100.100.200', 32], // Alibaba
  ['cloud metadata', 'ipv6', 'fd00:ec2::254', 128], // AWS IPv6
  ['unspecified', 'ipv4', '0.0.0.0', 8], // "this network"
  ['private network', 'ipv4', '10.0.0.0', 8],
  ['carrier-grade NAT', 'ipv4', '100.64.0.0', 10],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['private network', 'ipv4', '172.16.0.0', 12],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['private network', 'ipv4', '192.168.0.0', 16],
  ['reserved', 'ipv4', '198.18.0.0', 15],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4], // reserved + broadcast
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '::', 96], // the deprecated IPv4-compatible ::a.b.c.d
  ['reserved', 'ipv6', '::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['reserved', 'ipv6', '100::', 64], // discard-only
  ['IPv6 transition', 'ipv6', '2001::', 32], // Teredo: tunnels to an (obfuscated) IPv4 address
  ['private network', 'ipv6', 'fc00::', 7], // unique local
  ['link-local', 'ipv6', 'fe80::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
  ['IPv6 transition', 'ipv6', '64:ff9b::', 96], // NAT64 can reach private v4
  ['IPv6 transition', 'ipv6', '64:ff9b:1::', 48], // local-use NAT64
];
const LISTS = RANGES.map(([category, family, addr, prefix]) => {
  const list = new net.BlockList();
  if ((family === 'ipv4' && prefix === 32) || (family === 'ipv6' && prefix === 128)) list.addAddress(addr, family);
  else list.addSubnet(addr, prefix, family);
  return { category, family, list };
});

const categoryIn = (ip: string, family: 'ipv4' | 'ipv6'): BlockedCategory | null =>
  LISTS.find((l) => l.family === family && l.list.check(ip, family))?.category ?? null;

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
 * Why `ip` must not be reached, or null when it may. Addresses that embed an IPv4 address are judged by it:
 * IPv4-mapped (::ffff:a.b.c.d, any spelling) and 6to4 (2002:AABB:CCDD::/16 → A.B.C.D).
 */
export function blockedCategory(ip: string): BlockedCategory | null {
  const family = net.isIP(ip);
  if (family === 0) return 'invalid';
  if (family === 4) return categoryIn(ip, 'ipv4');
  const g = ipv6Groups(ip);
  if (!g || g.length !== 8 || g.some((x) => Number.isNaN(x))) return 'invalid';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return categoryIn(v4Of(g[6]!, g[7]!), 'ipv4');
  if (g[0] === 0x2002) {
    const embedded = categoryIn(v4Of(g[1]!, g[2]!), 'ipv4');
    if (embedded) return embedded;
  }
  return categoryIn(g.map((x) => x.toString(16)).join(':'), 'ipv6');
}

/** True when `ip` must not be reached (see blockedCategory). */
export const isBlockedAddress = (ip: string): boolean => blockedCategory(ip) !== null;

/** The create-time refusal: the rule and the category, not the address. */
export const blockedUrlMessage = (category: BlockedCategory) =>
  `url must not point to a loopback, private, link-local or metadata address (refused: ${category})`;

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
  /** The category of a refused IP-literal host, or null (a name, an allowed host or a public address). */
  literalCategory(url: URL): BlockedCategory | null;
  /**
   * A `lookup` for http.request/got (off the thread pool, with a deadline: host-resolver.ts) that fails with
   * code EBLOCKED on a forbidden address; its message names the host and the category.
   */
  lookup: (hostname: string, options: dns.LookupOptions | LookupCallback, callback?: LookupCallback) => void;
}

const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

export interface SsrfGuardOptions {
  /** How names are resolved; default createHostResolver() (system DNS servers, 3 s deadline). */
  resolver?: HostResolver;
}

export function createSsrfGuard(allowedHosts: readonly string[], options: SsrfGuardOptions = {}): SsrfGuard {
  const resolver = options.resolver ?? createHostResolver();
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
  const literalCategory = (url: URL): BlockedCategory | null => {
    const host = bareHost(url);
    return net.isIP(host) !== 0 && !isAllowedHost(host) ? blockedCategory(host) : null;
  };

  return {
    isAllowedHost,
    literalCategory,
    literalBlocked: (url) => literalCategory(url) !== null,
    async checkUrl(url) {
      const host = bareHost(url);
      if (isAllowedHost(host)) return null;
      let addresses: string[];
      try {
        addresses = (await resolver.resolve(host)).map((a) => a.address);
      } catch {
        return `url host ${host} does not resolve`;
      }
      for (const a of addresses) {
        const category = blockedCategory(a);
        if (category) return blockedUrlMessage(category);
      }
      return null;
    },
    lookup(hostname, options, callback) {
      const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
      const opts: dns.LookupOptions =
        typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : options;
      resolver.resolve(hostname).then(
        (all) => {
          if (!isAllowedHost(hostname)) {
            for (const a of all) {
              const category = blockedCategory(a.address);
              if (category) {
                const e: NodeJS.ErrnoException = new Error(
                  `BLOCKED_ADDRESS: ${hostname} resolves to a blocked address (refused: ${category})`,
                );
                e.code = 'EBLOCKED';
                return cb(e, []);
              }
            }
          }
          const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : opts.family;
          const addresses = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
          if (opts.all) return cb(null, addresses);
          const first = addresses[0];
          if (!first) return cb(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
          cb(null, first.address, first.family);
        },
        (err: NodeJS.ErrnoException) => cb(err, []),
      );
    },
  };
}
