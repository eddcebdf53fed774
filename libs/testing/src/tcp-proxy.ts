/**
 * A TCP proxy of the test's own in front of a shared server (Postgres, Redis, RabbitMQ), so a test can take that
 * server "down" for one client (cut) without touching the server everyone else uses.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** `base` (a URL of the real server) with host:port replaced by the proxy's; path and credentials kept. */
  url(base: string): string;
  /** Drop every open connection and refuse new ones (accepted, then closed at once) until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string | { host: string; port: number }): Promise<TcpProxy> {
  const { host, port: targetPort } = typeof target === 'string' ? hostPortOf(target) : target;
  let up = true;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!up) return void client.destroy();
    const upstream = net.connect(targetPort, host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    up = false;
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    port,
    url(base) {
      const u = new URL(base);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    restore() {
      up = true;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const DEFAULT_PORTS: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 };

/** host and port of a server URL, with the scheme's default port when the URL has none. */
function hostPortOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = Number(u.port || DEFAULT_PORTS[u.protocol]);
  if (!port) throw new Error(`no port in ${u.protocol}//${u.host} and no default for ${u.protocol}`);
  return { host: u.hostname, port };
}
