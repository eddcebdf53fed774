import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { displayPrefix, generateToken, hashToken, isWellFormedToken } from '../src/domain/token-format.js';

describe('token format', () => {
  it('is wh_ + 48 lower-case hex, 51 characters', () => {
    const { raw } = generateToken();
    expect(raw).toMatch(/^wh_[0-9a-f]{48}$/);
    expect(raw).toHaveLength(51);
  });

  it('stores the sha256 hex and shows the first 10 characters + ...', () => {
    const { raw, hash, prefix } = generateToken();
    expect(hash).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(hashToken(raw)).toBe(hash);
    expect(prefix).toBe(`${raw.slice(0, 10)}...`);
    expect(displayPrefix('wh_3f9a1b2c4d')).toBe('wh_3f9a1b2...');
  });

  it('never repeats', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateToken().raw));
    expect(seen.size).toBe(1000);
  });

  it('recognises well-formed tokens only', () => {
    expect(isWellFormedToken(generateToken().raw)).toBe(true);
    expect(isWellFormedToken('wh_' + 'A'.repeat(48))).toBe(false);
    expect(isWellFormedToken('wh_abc')).toBe(false);
    expect(isWellFormedToken('eyJhbGciOi.x.y')).toBe(false);
    expect(isWellFormedToken(generateToken().raw + '0')).toBe(false);
  });
});
