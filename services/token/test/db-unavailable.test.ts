import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable } from '../src/domain/db-unavailable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    withCode('ECONNREFUSED'),
    withCode('08006'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('53300'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    Object.assign(new Error('QueryFailedError'), { driverError: withCode('08001') }),
  ])('outage: %p', (err) => expect(isDatabaseUnavailable(err)).toBe(true));

  it.each([
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('22P02', 'invalid input syntax for type uuid'),
    new TypeError('undefined is not a function'),
    null,
    'a string',
  ])('not an outage: %p', (err) => expect(isDatabaseUnavailable(err)).toBe(false));
});
