import { describe, expect, it } from '@jest/globals';
import { isBadInputForDatabase } from '../src/domain/db-bad-input.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isBadInputForDatabase', () => {
  it.each([
    withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
    withCode('22P05', 'unsupported Unicode escape sequence'),
    Object.assign(new Error('QueryFailedError'), { driverError: withCode('22021') }),
  ])('bad input: %p', (err) => expect(isBadInputForDatabase(err)).toBe(true));

  it.each([
    withCode('08006'),
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('22P02', 'invalid input syntax for type uuid'),
    new TypeError('undefined is not a function'),
    null,
    'a string',
  ])('not bad input: %p', (err) => expect(isBadInputForDatabase(err)).toBe(false));
});
