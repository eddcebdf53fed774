import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { z } from 'zod';
import {
  ConfigError,
  DEFAULT_PUBLIC_API_URL,
  envBool,
  envInt,
  loadConfig,
  parseConfig,
  publicApiUrlEnv,
  publicApiUrlWarnings,
  sharedEnv,
} from '@wahooks/config';

const Schema = z.object({
  ...sharedEnv,
  PORT: envInt(3000, 0, 65535),
  LIMIT: envInt(60, 1),
  VERBOSE: envBool(false),
  ENABLED: envBool(true),
});

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseConfig(Schema, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected parseConfig to throw');
};

describe('defaults', () => {
  it('an empty environment gets the local-machine defaults', () => {
    expect(parseConfig(Schema, {})).toEqual({
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/wahooks',
      REDIS_URL: 'redis://127.0.0.1:6379',
      BROKER_NAMESPACE: '',
      LOG_LEVEL: 'info',
      NODE_ENV: 'development',
      PORT: 3000,
      LIMIT: 60,
      VERBOSE: false,
      ENABLED: true,
    });
  });

  it('variables the schema does not know are ignored', () => {
    expect(parseConfig(Schema, { HOME: '/root', PATH: '/bin' })).not.toHaveProperty('HOME');
  });

  it.each([[''], ['   ']])('a variable set to %p counts as unset (takes its default)', (value) => {
    const config = parseConfig(Schema, { PORT: value, VERBOSE: value, RABBITMQ_URL: value, LOG_LEVEL: value });
    expect(config).toMatchObject({
      PORT: 3000,
      VERBOSE: false,
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
      LOG_LEVEL: 'info',
    });
  });
});

describe('parseConfig errors', () => {
  it('names the bad variable', () => {
    const found = problems({ RABBITMQ_URL: 'http://example.com' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^RABBITMQ_URL: /);
  });

  it('names every bad variable at once, and the message lists them', () => {
    const env = { PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' };
    const found = problems(env);
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect(() => parseConfig(Schema, env)).toThrow(/invalid configuration:\n {2}.*PORT/s);
  });

  it.each([
    ['amqps://u:p@host:5671/vh', 'RABBITMQ_URL'],
    ['postgresql://u@host/db', 'DATABASE_URL'],
    ['rediss://host:6380', 'REDIS_URL'],
  ])('accepts %s for %s', (url, name) => {
    expect(parseConfig(Schema, { [name]: url })[name as 'REDIS_URL']).toBe(url);
  });
});

describe('envInt', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    [' 8080 ', 8080],
    ['65535', 65535],
  ])('PORT=%p → %p', (value, expected) => {
    expect(parseConfig(Schema, { PORT: value }).PORT).toBe(expected);
  });

  it.each([['abc'], ['1.5'], ['-1'], ['65536'], ['70000']])('PORT=%p is refused, naming PORT', (value) => {
    const found = problems({ PORT: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^PORT: /);
  });

  it('the bounds are inclusive and max is optional', () => {
    expect(problems({ LIMIT: '0' })[0]).toMatch(/^LIMIT: .*>=\s*1/);
    expect(parseConfig(Schema, { LIMIT: '1' }).LIMIT).toBe(1);
    expect(parseConfig(Schema, { LIMIT: String(2 ** 40) }).LIMIT).toBe(2 ** 40);
    expect(problems({ PORT: '65536' })[0]).toMatch(/^PORT: .*<=\s*65535/);
  });

  it('used alone, it defaults and coerces', () => {
    const schema = envInt(7, 5, 10);
    expect(schema.parse(undefined)).toBe(7);
    expect(schema.parse('9')).toBe(9);
    expect(schema.safeParse('11').success).toBe(false);
    expect(schema.safeParse('4').success).toBe(false);
  });
});

describe('envBool', () => {
  it.each(['true', '1', 'yes', 'TRUE', 'YES', 'True', ' yes '])('%p is true', (value) => {
    expect(parseConfig(Schema, { VERBOSE: value }).VERBOSE).toBe(true);
  });

  it.each(['false', '0', 'no', 'FALSE', 'NO', 'False', 'No'])('%p is false', (value) => {
    expect(parseConfig(Schema, { ENABLED: value }).ENABLED).toBe(false);
  });

  it.each(['maybe', '2', 'on'])('%p is refused, naming the variable', (value) => {
    expect(problems({ VERBOSE: value })).toEqual(['VERBOSE: expected true/false, 1/0 or yes/no']);
  });
});

describe('loadConfig', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('returns the config when it is valid', () => {
    expect(loadConfig(Schema, { PORT: '1234' }).PORT).toBe(1234);
  });

  it('prints the bad variable to stderr and exits 1', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('exit called');
    }) as never);
    const written: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    expect(() => loadConfig(Schema, { PORT: '70000' })).toThrow('exit called');
    expect(exit).toHaveBeenCalledWith(1);
    expect(written.join('')).toMatch(/invalid configuration:\n {2}PORT: /);
  });
});

describe('PUBLIC_API_URL (connection and webhook-delivery)', () => {
  const Env = z.object({ ...publicApiUrlEnv });
  it('defaults to the gateway on localhost:3000 and must be a URL', () => {
    expect(parseConfig(Env, {}).PUBLIC_API_URL).toBe(DEFAULT_PUBLIC_API_URL);
    expect(DEFAULT_PUBLIC_API_URL).toBe('http://localhost:3000');
    expect(parseConfig(Env, { PUBLIC_API_URL: 'https://api.wahooks.com' }).PUBLIC_API_URL).toBe(
      'https://api.wahooks.com',
    );
    expect(() => parseConfig(Env, { PUBLIC_API_URL: 'api.wahooks.com' })).toThrow(ConfigError);
  });
  it('warns once in production when it is unset or blank', () => {
    expect(publicApiUrlWarnings({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^PUBLIC_API_URL is not set: media URLs .* http:\/\/localhost:3000$/),
    ]);
    expect(publicApiUrlWarnings({ NODE_ENV: 'production', PUBLIC_API_URL: ' ' })).toHaveLength(1);
    expect(publicApiUrlWarnings({ NODE_ENV: 'production', PUBLIC_API_URL: 'https://api.wahooks.com' })).toEqual([]);
    expect(publicApiUrlWarnings({})).toEqual([]);
  });
});
