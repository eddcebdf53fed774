/** The bounded fetcher against a real local HTTP server (127.0.0.1 allowed, as an operator would for tests). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBoundedFetcher, createSsrfGuard, isBlockedAddress, parseHostList } from '../src/index.js';

let server: http.Server;
let base: string;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/png':
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.alloc(1000, 7));
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end('<html></html>');
      case '/big-declared':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': '5000' });
        return res.end(Buffer.alloc(5000));
      case '/big-chunked':
        res.writeHead(200, { 'content-type': 'image/png' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
        return res.end();
      case '/missing':
        res.writeHead(404);
        return res.end();
      case '/slow':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write('x');
        return; // never ends
      case '/redirect':
        res.writeHead(302, { location: `${base}${url.searchParams.get('to') ?? '/png'}` });
        return res.end();
      case '/redirect-abs':
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/png' });
        return res.end();
      case '/loop':
        res.writeHead(302, { location: `${base}/loop` });
        return res.end();
      default:
        res.writeHead(500);
        res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const fetcher = (allowed = ['127.0.0.1'], timeoutMs = 2000) =>
  createBoundedFetcher({ guard: createSsrfGuard(allowed), connectTimeoutMs: 1000, timeoutMs, maxRedirects: 3 });
const images = (t: string | undefined) => !!t?.startsWith('image/');

describe('bounded fetch', () => {
  it('fetches the body with its media type', async () => {
    const r = await fetcher().fetch(`${base}/png`, { maxBytes: 2000, acceptContentType: images });
    expect(r).toMatchObject({ ok: true, contentType: 'image/png' });
    expect(r.ok && r.body.length).toBe(1000);
  });

  it('refuses private addresses unless allowed, also as the target of a redirect', async () => {
    expect(await fetcher([]).fetch(`${base}/png`, { maxBytes: 2000 })).toMatchObject({
      ok: false,
      reason: 'BLOCKED_ADDRESS',
    });
    // localhost resolves to 127.0.0.1 but is not on the list: the DNS hook refuses it at connect time.
    expect(await fetcher().fetch(`http://localhost:${port}/png`, { maxBytes: 2000 })).toMatchObject({
      ok: false,
      reason: 'BLOCKED_ADDRESS',
    });
    const viaName = await fetcher().fetch(`${base}/redirect-abs?to=http://localhost:${port}/png`, { maxBytes: 2000 });
    expect(viaName).toMatchObject({ ok: false, reason: 'BLOCKED_ADDRESS' });
    const viaLiteral = await fetcher().fetch(`${base}/redirect-abs?to=http://169.254.169.254/latest/meta-data`, {
      maxBytes: 2000,
    });
    expect(viaLiteral).toMatchObject({ ok: false, reason: 'BLOCKED_ADDRESS' });
    expect(await fetcher().fetch(`${base}/redirect-abs?to=file:///etc/passwd`, { maxBytes: 2000 })).toMatchObject({
      ok: false,
    });
  });

  it('follows at most 3 redirects', async () => {
    expect(await fetcher().fetch(`${base}/redirect?to=/png`, { maxBytes: 2000 })).toMatchObject({ ok: true });
    expect(await fetcher().fetch(`${base}/loop`, { maxBytes: 2000 })).toMatchObject({
      ok: false,
      reason: 'TOO_MANY_REDIRECTS',
    });
  });

  it('caps the size (declared and counted), checks the type, reports statuses, unreachable hosts and timeouts', async () => {
    const f = fetcher(['127.0.0.1'], 500);
    expect(await f.fetch(`${base}/big-declared`, { maxBytes: 4000 })).toMatchObject({ ok: false, reason: 'TOO_LARGE' });
    expect(await f.fetch(`${base}/big-chunked`, { maxBytes: 4000 })).toMatchObject({ ok: false, reason: 'TOO_LARGE' });
    expect(await f.fetch(`${base}/html`, { maxBytes: 4000, acceptContentType: images })).toMatchObject({
      ok: false,
      reason: 'CONTENT_TYPE',
      contentType: 'text/html',
    });
    expect(await f.fetch(`${base}/missing`, { maxBytes: 4000 })).toMatchObject({
      ok: false,
      reason: 'HTTP_STATUS',
      statusCode: 404,
    });
    expect(await f.fetch(`${base}/slow`, { maxBytes: 4000 })).toMatchObject({ ok: false, reason: 'TIMEOUT' });
    // A port nothing listens on.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await f.fetch(`http://127.0.0.1:${deadPort}/x`, { maxBytes: 4000 })).toMatchObject({
      ok: false,
      reason: 'UNREACHABLE',
    });
    expect(await f.fetch('ftp://example.com/x', { maxBytes: 4000 })).toMatchObject({
      ok: false,
      reason: 'INVALID_URL',
    });
    expect(await f.fetch('not a url', { maxBytes: 4000 })).toMatchObject({ ok: false, reason: 'INVALID_URL' });
  });
});

describe('guard and allow-list', () => {
  it('joins host lists', () => {
    expect(parseHostList(' a.test, 127.0.0.1', undefined, '127.0.0.1,,b.test ')).toEqual([
      'a.test',
      '127.0.0.1',
      'b.test',
    ]);
  });
  it.each(['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', '::ffff:127.0.0.1', 'fd00:ec2::254', 'not-an-ip'])(
    'blocks %s',
    (ip) => expect(isBlockedAddress(ip)).toBe(true),
  );
  it.each(['93.184.216.34', '2606:4700::1111'])('allows %s', (ip) => expect(isBlockedAddress(ip)).toBe(false));
});
