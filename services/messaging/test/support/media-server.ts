/** A local HTTP server serving test media (127.0.0.1 is on the tests' OUTBOUND_ALLOWED_HOSTS; `localhost` is not). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A valid 1×1 PNG (file-type recognises it as image/png). */
export const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a3b00000000049454e44ae426082',
  'hex',
);
/** The first bytes of a PDF (file-type: application/pdf). */
export const PDF_HEAD = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');

/** A PNG of `size` bytes: the 1×1 PNG followed by padding (only for sends that are refused before sending). */
export const pngOfSize = (size: number) => Buffer.concat([PNG_1X1, Buffer.alloc(Math.max(0, size - PNG_1X1.length))]);

export interface MediaServer {
  base: string; // http://127.0.0.1:<port>
  port: number;
  /** Serve `body` at `path` with `type` (and optionally a different Content-Length claim). */
  serve(path: string, body: Buffer, type: string): void;
  redirect(path: string, location: string): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startMediaServer(): Promise<MediaServer> {
  const routes = new Map<string, (res: http.ServerResponse) => void>();
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404);
      res.end();
      return;
    }
    route(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    serve(path, body, type) {
      routes.set(path, (res) => {
        res.writeHead(200, { 'content-type': type, 'content-length': String(body.length) });
        res.end(body);
      });
    },
    redirect(path, location) {
      routes.set(path, (res) => {
        res.writeHead(302, { location });
        res.end();
      });
    },
    hits: (path) => hits.get(path) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
