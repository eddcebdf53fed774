import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MEDIA_TLS_CERT_PEM, MEDIA_TLS_KEY_PEM } from './media-tls.js';

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/**
 * The emulated media CDN. Encrypted blobs live in memory under `/media/<id>`.
 * - Downloads: plain HTTP on the emulator's main port (`http://host:port/media/<id>`). Inbound messages carry that
 *   URL and no directPath, so Baileys fetches it as is and needs no TLS trust at all.
 * - Uploads: Baileys always uploads to `https://<media_conn host>/mms/<type>/<hash>`, so this HTTPS server (own
 *   port, fixed self-signed certificate, see media-tls.ts) accepts them; the client trusts it through `fetchAgent`.
 */
export class MediaHost {
  private readonly blobs = new Map<string, Buffer>();
  private server?: Server;
  private downloadBase = '';

  async start(host: string, downloadBase: string): Promise<void> {
    this.downloadBase = downloadBase;
    this.server = createServer({ cert: MEDIA_TLS_CERT_PEM, key: MEDIA_TLS_KEY_PEM }, (req, res) => {
      this.handleHttps(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, host, () => resolve());
    });
  }

  /** host:port for `<media_conn><host hostname>` */
  get uploadHost(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('media host not started');
    // the certificate names 127.0.0.1 and localhost: a wildcard bind is reached through loopback
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
    return `${host}:${address.port}`;
  }

  /** Stores an encrypted blob; returns its download URL and path. */
  put(file: Buffer, base = this.downloadBase): { url: string; path: string } {
    const path = `/media/${randomBytes(12).toString('hex')}`;
    this.blobs.set(path, file);
    return { url: `${base}${path}`, path };
  }

  /** The blob behind a media URL or directPath this host handed out. */
  get(urlOrPath: string): Buffer | undefined {
    const path = urlOrPath.startsWith('/') ? urlOrPath.split('?')[0]! : new URL(urlOrPath).pathname;
    return this.blobs.get(path);
  }

  /** GET /media/<id> on the main (plain HTTP) server; returns false when the path is not ours. */
  serveDownload(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method !== 'GET' || !path.startsWith('/media/')) return false;
    const blob = this.blobs.get(path);
    if (!blob) {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length }).end(blob);
    return true;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handleHttps(req: IncomingMessage, res: ServerResponse): void {
    if (this.serveDownload(req, res)) return;
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/mms/')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      // uploaded media keeps an https URL: Baileys turns directPath into https://<host of url><directPath>
      const { url, path } = this.put(Buffer.concat(chunks), `https://${this.uploadHost}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url, direct_path: path }));
    });
  }
}
