/** The one event-id generator and the one uuid check. */
import { describe, expect, it } from '@jest/globals';
import { decodeTime } from 'ulid';
import { z } from 'zod';
import { EventId, isUuid, newEventId, WhatsAppEventPayload } from '../src/index.js';

describe('newEventId', () => {
  it('is evt_ + a lower-case ULID (26 Crockford base32 characters) carrying the given time', () => {
    const id = newEventId(1_700_000_000_123);
    expect(id).toMatch(/^evt_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(decodeTime(id.slice(4).toUpperCase())).toBe(1_700_000_000_123);
    expect(EventId.safeParse(id).success).toBe(true);
  });

  it('is unique and sorts in creation order, also within one millisecond and for a clock that steps back', () => {
    const now = Date.now();
    const ids = [
      ...Array.from({ length: 1000 }, () => newEventId(now)),
      newEventId(now - 5_000), // clock stepped back: still after the ids before it
      newEventId(now + 1),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(newEventId(1_000) < newEventId(Date.now() + 60_000)).toBe(true);
  });

  it('EventId accepts the ids of older producers and nothing without the evt_ prefix', () => {
    for (const ok of ['evt_01', 'evt_lost1732000000000', 'evt_01K0ABCDEF'])
      expect(EventId.safeParse(ok).success).toBe(true);
    for (const bad of ['evt_', '01k0abc', 'evt_a-b', 'evt_a b', '']) expect(EventId.safeParse(bad).success).toBe(false);
    // The WhatsApp event contract checks its id with it.
    expect(WhatsAppEventPayload.shape.id).toBe(EventId);
  });
});

describe('isUuid', () => {
  const cases = [
    '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    '1B2C3D4E-5F60-4A7B-8C9D-0E1F2A3B4C5D',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '0191b3c4-7d2e-7a3b-9c4d-5e6f7a8b9c0d', // v7
    '00000000-0000-0000-0000-000000000001', // no version: Postgres takes it, z.uuid() does not
    '1b2c3d4e-5f60-4a7b-cc9d-0e1f2a3b4c5d', // wrong variant
    '1b2c3d4e5f604a7b8c9d0e1f2a3b4c5d',
    '{1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d}',
    ' 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d\n',
    'not-a-uuid',
    '',
  ];

  it('is exactly the rule of z.uuid()', () => {
    for (const value of cases) expect([value, isUuid(value)]).toEqual([value, z.uuid().safeParse(value).success]);
    expect(cases.filter(isUuid)).toHaveLength(5);
  });
});
