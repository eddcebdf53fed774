import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { configFromEnv, configWarnings } from '../src/config.js';
import { parseDuration, parseDurationList } from '../src/domain/duration.js';
import { checkEventFilter } from '../src/domain/filter.js';
import { delayBuckets, maxAttempts, nextDelay, parseRetryAfter } from '../src/domain/retry-schedule.js';
import { signedHeaders } from '../src/domain/sign.js';
import { payloadWithPublicMediaUrls } from '@wahooks/contracts';
import { isBlockedAddress } from '@wahooks/outbound-http';
import { testEventBody, webhookBody } from '../src/domain/webhook-body.js';

// Matching a filter is SQL (the fan-out statement), tested against Postgres in delivery.test.ts.
describe('event filter', () => {
  it('validates the list', () => {
    expect(checkEventFilter(undefined)).toEqual({ ok: false, message: 'url and events are required' });
    expect(checkEventFilter([])).toMatchObject({ ok: false });
    expect(checkEventFilter(['message', 1])).toMatchObject({ ok: false });
    expect(checkEventFilter(['message.*'])).toMatchObject({ ok: false, message: 'unknown event name(s): message.*' });
    expect(checkEventFilter(['*', 'message', 'message'])).toEqual({ ok: true, events: ['*', 'message'] });
  });
});

describe('retry schedule', () => {
  const policy = { schedule: parseDurationList('5s,10s,20s,40s'), jitter: 0 };
  it('defaults to the original: 5 attempts, waits 5/10/20/40 s', () => {
    expect(maxAttempts(policy)).toBe(5);
    expect([1, 2, 3, 4, 5].map((n) => nextDelay(policy, n))).toEqual([5000, 10000, 20000, 40000, null]);
  });
  it('parses a long ladder as one value', () => {
    expect(parseDurationList('5s,5m,30m,2h,5h,10h,10h')).toEqual([
      5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000,
    ]);
    expect(parseDuration('200ms')).toBe(200);
    expect(() => parseDuration('5 weeks')).toThrow(/invalid duration/);
  });
  it('jitters among fixed buckets and clamps Retry-After to [d, 2d]', () => {
    const j = { schedule: [10_000], jitter: 0.2 };
    expect(delayBuckets(j)).toEqual([8000, 9000, 10000, 11000, 12000, 20000]);
    expect(nextDelay(j, 1, null, () => 0)).toBe(8000);
    expect(nextDelay(j, 1, null, () => 0.3)).toBe(9000);
    expect(nextDelay(j, 1, null, () => 0.99)).toBe(12000);
    const seen = new Set(Array.from({ length: 200 }, () => nextDelay(j, 1)));
    expect([...seen].sort((a, b) => a! - b!)).toEqual([8000, 9000, 10000, 11000, 12000]); // five instants, never 2d unasked
    expect(nextDelay(j, 1, 11_500)).toBe(12000);
    expect(nextDelay(j, 1, 10_500)).toBe(11000);
    expect(nextDelay(j, 1, 3_600_000)).toBe(20000);
    expect(nextDelay(j, 1, 1000, () => 0.5)).toBe(10000); // shorter than the ladder: the ladder wins
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('signing', () => {
  it('produces headers any Standard Webhooks library verifies with the hex secret as is', () => {
    const secret = 'a'.repeat(64);
    const body = JSON.stringify({ event: 'message', payload: { body: 'hi' } });
    const h = signedHeaders({ eventType: 'message', msgId: 'evt_01', body, secret });
    expect(new Webhook(secret).verify(body, h)).toEqual(JSON.parse(body));
    expect(h['x-wahooks-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(h['webhook-id']).toBe('evt_01');
    expect(h['x-wahooks-timestamp']).toBe(h['webhook-timestamp']);
  });
});

describe('SSRF address classes', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1', // IPv4-mapped 127.0.0.1, hex spelling
    '0:0:0:0:0:ffff:a9fe:a9fe', // IPv4-mapped 169.254.169.254, uncompressed
    '224.0.0.1',
    '::', // unspecified
    '::127.0.0.1', // IPv4-compatible (::/96)
    '::8.8.8.8', // IPv4-compatible: deprecated, never a legitimate receiver
    '::ffff:0:7f00:1', // IPv4-translated (::ffff:0:0:0/96)
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254
    '2002:c0a8:101::', // 6to4 of 192.168.1.1
    '64:ff9b::a00:1', // NAT64 well-known prefix
    '64:ff9b:1::a00:1', // local-use NAT64 (64:ff9b:1::/48)
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo (2001::/32)
    '100::1', // discard-only (100::/64)
  ])('blocks %s', (ip) => expect(isBlockedAddress(ip)).toBe(true));
  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '2606:4700::1111',
    '172.32.0.1',
    '::ffff:8.8.8.8', // IPv4-mapped public address
    '2002:5db8:d822::1', // 6to4 of 93.184.216.34
    '2001:db9::1', // outside Teredo's /32
    '100:0:0:1::1', // outside 100::/64
  ])('allows %s', (ip) => expect(isBlockedAddress(ip)).toBe(false));
});

describe('body', () => {
  it('turns the relative media path into the public URL, drops `file`, and keeps everything else', () => {
    const p = {
      body: 'x',
      media: { url: '/api/connections/c1/media/3EB0.oga', file: '3EB0.oga', mimetype: 'audio/ogg' },
    };
    expect(payloadWithPublicMediaUrls(p, 'https://api.wahooks.com/', 'c1')).toEqual({
      body: 'x',
      media: { url: 'https://api.wahooks.com/api/connections/c1/media/3EB0.oga', mimetype: 'audio/ogg' },
    });
    expect(p.media.file).toBe('3EB0.oga'); // the event itself is not changed
    expect(payloadWithPublicMediaUrls({ media: null }, 'x', 'c1')).toEqual({ media: null });
    expect(payloadWithPublicMediaUrls({ media: { url: 'https://elsewhere.test/a.jpg' } }, 'x', 'c1')).toEqual({
      media: { url: 'https://elsewhere.test/a.jpg' }, // no file name: not ours, left alone
    });
  });
  it('gives the messages of a revoke (after, before) public URLs too', () => {
    const before = { id: 'm1', media: { url: '/api/connections/c1/media/M1.jpeg', file: 'M1.jpeg', mimetype: null } };
    expect(
      payloadWithPublicMediaUrls(
        { after: { id: 'm2', media: null }, before, revokedMessageId: 'M1' },
        'https://a.test',
        'c1',
      ),
    ).toEqual({
      after: { id: 'm2', media: null },
      before: { id: 'm1', media: { url: 'https://a.test/api/connections/c1/media/M1.jpeg', mimetype: null } },
      revokedMessageId: 'M1',
    });
  });
  it('percent-encodes a file name that needs it (a malformed escape is taken literally, never thrown on)', () => {
    const p = { media: { url: '/x', file: 'bad%E0%A4%A.jpg' } };
    expect(() => payloadWithPublicMediaUrls(p, 'https://api.wahooks.com', 'c1')).not.toThrow();
    expect(payloadWithPublicMediaUrls(p, 'https://api.wahooks.com', 'c1')).toEqual({
      media: { url: 'https://api.wahooks.com/api/connections/c1/media/bad%25E0%25A4%25A.jpg' },
    });
    expect(
      payloadWithPublicMediaUrls({ media: { url: '/x', file: 'a b/ü?.jpg' } }, 'https://api.wahooks.com', 'c1'),
    ).toEqual({
      media: { url: 'https://api.wahooks.com/api/connections/c1/media/a%20b%2F%C3%BC%3F.jpg' },
    });
    expect(() =>
      webhookBody(
        {
          id: 'evt_1',
          timestamp: 1,
          event: 'message',
          session: 'default',
          userId: 'u',
          connectionId: 'c1',
          payload: p,
        } as unknown as Parameters<typeof webhookBody>[0],
        'https://api.wahooks.com',
      ),
    ).not.toThrow();
  });
  it('test event body is exactly the documented one', () => {
    expect(testEventBody(new Date('2026-01-01T00:00:00.000Z'))).toBe(
      '{"event":"test","session":"test","payload":{"message":"This is a test webhook event from WAHooks","timestamp":"2026-01-01T00:00:00.000Z"}}',
    );
  });
});

describe('config', () => {
  it('PUBLIC_API_URL defaults to the gateway on localhost:3000, with a warning in production when unset', () => {
    expect(configFromEnv({}).publicApiUrl).toBe('http://localhost:3000');
    expect(configWarnings({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/PUBLIC_API_URL is not set/)]);
    expect(configWarnings({ NODE_ENV: 'production', PUBLIC_API_URL: 'https://api.wahooks.com' })).toEqual([]);
    expect(configWarnings({})).toEqual([]);
  });
  it('takes the allow-list from OUTBOUND_ALLOWED_HOSTS and the older WEBHOOK_ALLOWED_HOSTS, joined', () => {
    expect(configFromEnv({}).allowedHosts).toEqual([]);
    expect(configFromEnv({ WEBHOOK_ALLOWED_HOSTS: 'hooks.test' }).allowedHosts).toEqual(['hooks.test']);
    expect(
      configFromEnv({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.1, media.test', WEBHOOK_ALLOWED_HOSTS: 'hooks.test,127.0.0.1' })
        .allowedHosts,
    ).toEqual(['127.0.0.1', 'media.test', 'hooks.test']);
  });
});
