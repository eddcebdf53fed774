/**
 * Name → addresses for outbound requests, off Node's thread pool and with a deadline.
 *
 * `dns.lookup` (what http.request and got use by default) runs getaddrinfo on libuv's thread pool: 4 threads for
 * the whole process, shared with fs and crypto. A customer's domain whose nameserver never answers holds a thread
 * for the resolver's whole timeout; four such lookups and every other delivery of every tenant waits. Here names
 * are resolved with `dns.promises.Resolver` (c-ares: its own sockets, no thread pool), A and AAAA at once, each
 * query bounded by `timeoutMs` (one try), and the whole lookup by a timer of its own.
 *
 * Concurrent lookups of one name share one query; answers are cached for their TTL (at most `maxCacheMs`), and a
 * failure (timeout, no such name) for `negativeCacheMs`, so a stuck host fails fast instead of waiting again per
 * request. `localhost` is 127.0.0.1/::1 without asking (RFC 6761); other /etc/hosts entries are not read.
 */
import dns from 'node:dns';
import net from 'node:net';

export interface HostResolverOptions {
  /** DNS servers (`ip` or `ip:port`); default: the system's (resolv.conf). */
  servers?: readonly string[];
  /** ms one query may take; the lookup fails with ETIMEOUT after it. Default 3000. */
  timeoutMs?: number;
  /** Longest time an answer is reused, ms (its TTL when shorter). Default 30 000. */
  maxCacheMs?: number;
  /** How long a failed lookup is remembered, ms. Default 5000. */
  negativeCacheMs?: number;
}

export interface HostResolver {
  /** Every address of `hostname` (IP literals: themselves); rejects with an errno-style error (code ETIMEOUT, ENOTFOUND). */
  resolve(hostname: string): Promise<dns.LookupAddress[]>;
}

type Entry = { until: number; addresses?: dns.LookupAddress[]; error?: NodeJS.ErrnoException };

const MAX_ENTRIES = 10_000;

const dnsError = (code: string, hostname: string, message: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${message} (${hostname})`), { code, hostname });

export function createHostResolver(options: HostResolverOptions = {}): HostResolver {
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxCacheMs = options.maxCacheMs ?? 30_000;
  const negativeCacheMs = options.negativeCacheMs ?? 5000;
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  if (options.servers?.length) resolver.setServers([...options.servers]);
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<dns.LookupAddress[]>>();

  const remember = (host: string, entry: Entry) => {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!); // the oldest
    cache.set(host, entry);
  };

  async function query(host: string): Promise<dns.LookupAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(dnsError('ETIMEOUT', host, 'DNS lookup timed out')), timeoutMs + 250);
    });
    try {
      const [v4, v6] = await Promise.race([
        Promise.allSettled([resolver.resolve4(host, { ttl: true }), resolver.resolve6(host, { ttl: true })]),
        deadline,
      ]);
      const records = [
        ...(v4.status === 'fulfilled' ? v4.value.map((r) => ({ ...r, family: 4 })) : []),
        ...(v6.status === 'fulfilled' ? v6.value.map((r) => ({ ...r, family: 6 })) : []),
      ];
      if (records.length === 0) {
        const err = (v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined) as
          NodeJS.ErrnoException | undefined;
        const code = err?.code === 'ETIMEOUT' ? 'ETIMEOUT' : 'ENOTFOUND';
        throw dnsError(code, host, code === 'ETIMEOUT' ? 'DNS lookup timed out' : 'no such host');
      }
      const ttlMs = Math.min(maxCacheMs, 1000 * Math.max(1, Math.min(...records.map((r) => r.ttl))));
      const addresses = records.map((r) => ({ address: r.address, family: r.family }));
      remember(host, { until: Date.now() + ttlMs, addresses });
      return addresses;
    } catch (err) {
      remember(host, { until: Date.now() + negativeCacheMs, error: err as NodeJS.ErrnoException });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async resolve(hostname) {
      const host = hostname
        .replace(/^\[|\]$/g, '')
        .toLowerCase()
        .replace(/\.$/, '');
      const family = net.isIP(host);
      if (family) return [{ address: host, family }];
      if (host === 'localhost' || host.endsWith('.localhost'))
        return [
          { address: '127.0.0.1', family: 4 },
          { address: '::1', family: 6 },
        ];
      const hit = cache.get(host);
      if (hit && hit.until > Date.now()) {
        if (hit.error) throw hit.error;
        return hit.addresses!;
      }
      let pending = inFlight.get(host);
      if (!pending) {
        pending = query(host).finally(() => inFlight.delete(host));
        inFlight.set(host, pending);
      }
      return pending;
    },
  };
}
