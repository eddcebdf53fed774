import { describe, expect, it } from '@jest/globals';
import { parseCommand, UsageError } from '../src/args.js';

const user = '0b6f2f4e-3c3a-4d8e-9a61-2f1c5b7d9e01';

describe('parseCommand', () => {
  it('parses token create with and without a name', () => {
    expect(parseCommand(['token', 'create', '--user', user])).toEqual({
      kind: 'token.create',
      userId: user,
      name: 'cli',
      timeoutMs: undefined,
    });
    expect(parseCommand(['token', 'create', '--user', user, '--name', 'ci bot', '--timeout', '2500'])).toEqual({
      kind: 'token.create',
      userId: user,
      name: 'ci bot',
      timeoutMs: 2500,
    });
  });

  it('parses list and revoke', () => {
    expect(parseCommand(['token', 'list', `--user=${user}`, '--json'])).toMatchObject({
      kind: 'token.list',
      json: true,
    });
    expect(parseCommand(['token', 'revoke', '--user', user, '--id', 'abc'])).toMatchObject({
      kind: 'token.revoke',
      tokenId: 'abc',
    });
  });

  it('recognises help anywhere', () => {
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommand(['token', 'create', '-h'])).toEqual({ kind: 'help' });
    expect(parseCommand(['help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [[], /no command/],
    [['tokens'], /unknown command "tokens"/],
    [['token'], /missing subcommand/],
    [['token', 'delete'], /unknown command "token delete"/],
    [['token', 'create'], /--user <uuid> is required/],
    [['token', 'create', '--user', 'bob'], /--user must be a uuid/],
    [['token', 'create', '--user', user, '--name', '  '], /--name must not be blank/],
    [['token', 'create', '--user'], /--user/],
    [['token', 'create', '--user', user, '--bogus'], /bogus/],
    [['token', 'revoke', '--user', user], /--id <tokenId> is required/],
    [['token', 'list', '--user', user, 'extra'], /unexpected argument "extra"/],
    [['token', 'list', '--user', user, '--timeout', 'soon'], /--timeout/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});
