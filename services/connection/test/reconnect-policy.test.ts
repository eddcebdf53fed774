import { describe, expect, it } from '@jest/globals';
import { backoffDelay, decideOnClose } from '../src/sessions/reconnect-policy.js';
import { parseWaVersion } from '../src/sessions/baileys-runtime.js';
import { createTtlCache } from '../src/sessions/ttl-cache.js';

const linked = { linked: true, attempt: 0, intentional: false };

describe('decideOnClose', () => {
  it('follows the disconnect-reason policy', () => {
    expect(decideOnClose(515, linked)).toEqual({ action: 'restart', delayMs: 0 });
    expect(decideOnClose(401, linked).action).toBe('wipe');
    for (const code of [403, 405, 411]) expect(decideOnClose(code, linked).action).toBe('stop');
    for (const code of [408, 428, 440, 500, 503]) expect(decideOnClose(code, linked).action).toBe('backoff');
    expect(decideOnClose(408, { ...linked, linked: false }).action).toBe('stop'); // QR refs ran out
    expect(decideOnClose(undefined, linked).action).toBe('none');
    expect(decideOnClose(428, { ...linked, intentional: true }).action).toBe('none');
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, { random: () => 0 })).toBe(500);
    expect(backoffDelay(0, { random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { random: () => 1 })).toBe(8000);
    expect(backoffDelay(20, { random: () => 1 })).toBe(60_000);
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) expect(d >= 8000 && d <= 16000).toBe(true);
  });
});

describe('parseWaVersion', () => {
  it('parses three integers or keeps the bundled version', () => {
    expect(parseWaVersion('2,3000,1023223821')).toEqual([2, 3000, 1023223821]);
    expect(parseWaVersion('2.3000.1')).toEqual([2, 3000, 1]);
    expect(parseWaVersion(undefined)).toBeUndefined();
    expect(() => parseWaVersion('2,x,1')).toThrow(/WA_VERSION/);
  });
});

describe('ttl cache', () => {
  it('expires lazily and caps its size', async () => {
    const c = createTtlCache(50, 3);
    void c.set('a', 1);
    expect(c.get('a')).toBe(1);
    for (const k of ['b', 'c', 'd']) void c.set(k, k);
    expect(c.get('a')).toBeUndefined();
    expect(c.size()).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(c.get('b')).toBeUndefined();
  });
});
