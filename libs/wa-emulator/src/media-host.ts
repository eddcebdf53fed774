import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MEDIA_TLS_CERT_PEM, MEDIA_TLS_KEY_PEM } from './media-tls.js';

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/**
 * The emulated media CDN. Encrypted blobs live in memory under `/media/<id>`.
 * - Downloads: on this HTTPS server (own port, fixed self-signed certificate, see media-tls.ts), as WhatsApp's
 *   media hosts are https; inbound messages carry `https://host:port/media/<id>` and no directPath, so a client
 *   fetches that URL as is and trusts the certificate (MEDIA_TLS_CERT_PEM). With `inboundMedia: 'http'` they
 *   carry the plain-HTTP URL of the emulator's main port instead (clients that cannot trust a certificate).
 * - Uploads: Baileys always uploads to `https://<media_conn host>/mms/<type>/<hash>`, on this same server.
 * - Hostile media for security tests of a client, on both servers (`url` of an inbound request points at them):
 *   `/media/test/endless` (a body that never ends), `/media/test/slow` (headers, then silence),
 *   `/media/test/huge?bytes=N` (N bytes with their Content-Length), `/media/test/redirect?to=<url>` (302).
 */
export class MediaHost {
  private readonly blobs = new Map<string, Buffer>();
  private server?: Server;
  private downloadBase = '';
  private readonly open = new Set<ServerResponse>();

  /** `downloadBase`: the plain-HTTP base for inbound media, or undefined for this host's https base. */
  async start(host: string, downloadBase?: string): Promise<void> {
    this.server = createServer({ cert: MEDIA_TLS_CERT_PEM, key: MEDIA_TLS_KEY_PEM }, (req, res) => {
      this.handleHttps(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, host, () => resolve());
    });
    this.downloadBase = downloadBase ?? this.httpsBase;
  }

  /** `https://host:port` of this server (downloads, uploads, the hostile test paths). */
  get httpsBase(): string {
    return `https://${this.uploadHost}`;
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

  /** GET /media/<id> (on either server); returns false when the path is not ours. */
  serveDownload(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method !== 'GET' || !path.startsWith('/media/')) return false;
    if (path.startsWith('/media/test/')) return this.serveHostile(req, res, path);
    const blob = this.blobs.get(path);
    if (!blob) {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length }).end(blob);
    return true;
  }

  private serveHostile(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const query = new URL(req.url ?? '/', 'https://x').searchParams;
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    if (path === '/media/test/endless') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    } else if (path === '/media/test/slow') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.flushHeaders(); // and then nothing, ever
    } else if (path === '/media/test/huge') {
      const total = Number(query.get('bytes') ?? 0);
      let left = Number.isSafeInteger(total) && total > 0 ? total : 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          const part = chunk.subarray(0, Math.min(chunk.length, left));
          left -= part.length;
          if (!res.write(part)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    } else if (path === '/media/test/redirect' && query.get('to')) {
      res.writeHead(302, { location: query.get('to')! }).end();
    } else res.writeHead(404).end();
    return true;
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
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
