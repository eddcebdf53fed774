import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { addTransactionCapability, initAuthCreds, proto } from '@whiskeysockets/baileys';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { createLogger } from '@wahooks/telemetry';
import type { Sql } from '@wahooks/db';
import { SealedAuthStateError, loadCreds, useDatabaseAuthState } from '../src/auth/database-auth-state.js';
import { FencedOutError } from '../src/auth/fencing.js';
import { openConnectionDatabase, type ConnectionDatabase } from './support/database.js';

let env: TestEnv;
let database: ConnectionDatabase;
let sql: Sql;

beforeAll(async () => {
  env = await createTestEnv('conn_auth');
  database = await openConnectionDatabase(env.databaseUrl);
  sql = database.sql;
});

afterAll(async () => {
  await database?.close();
  await env.cleanup();
});

describe('useDatabaseAuthState', () => {
  it('starts with fresh creds and round-trips the whole creds object, Buffers included', async () => {
    const id = randomUUID();
    const a = await useDatabaseAuthState(sql, id);
    expect(a.isLinked()).toBe(false);
    expect(await loadCreds(sql, id)).toBeUndefined();
    a.state.creds.me = { id: '15551234567:3@s.whatsapp.net', name: 'Alice', lid: '123456789012345:3@lid' };
    a.state.creds.account = {
      details: Buffer.from([1, 2, 3]),
      accountSignatureKey: Buffer.from([4, 5]),
      accountSignature: Buffer.from([6]),
      deviceSignature: Buffer.from([7]),
    };
    await a.saveCreds();

    const b = await useDatabaseAuthState(sql, id);
    expect(b.isLinked()).toBe(true);
    const creds = b.state.creds;
    expect(creds.me).toEqual(a.state.creds.me);
    expect(Buffer.isBuffer(creds.noiseKey.private)).toBe(true);
    expect(Buffer.from(creds.noiseKey.private).equals(Buffer.from(a.state.creds.noiseKey.private))).toBe(true);
    expect(Buffer.from(creds.signedPreKey.signature).equals(Buffer.from(a.state.creds.signedPreKey.signature))).toBe(
      true,
    );
    expect(creds.registrationId).toBe(a.state.creds.registrationId);
    expect(creds.advSecretKey).toBe(a.state.creds.advSecretKey);
    expect(Buffer.from(creds.account!.details!).equals(Buffer.from([1, 2, 3]))).toBe(true);
  });

  it('stores each key type, revives app-state keys as protobuf objects, and deletes on null', async () => {
    const id = randomUUID();
    const { state } = await useDatabaseAuthState(sql, id);
    const pair = initAuthCreds().signedIdentityKey;
    await state.keys.set({
      'pre-key': { '1': pair, '2': pair },
      session: { '15551234567.0': new Uint8Array([9, 8, 7]) },
      'sender-key-memory': { '120363@g.us': { '15551234567:0@s.whatsapp.net': true } },
      'app-state-sync-key': { 'AAAAAB+/=': { keyData: Buffer.from('secret'), timestamp: 1700000000 } },
      'lid-mapping': { '15551234567': '123456789012345' },
    });
    const other = await useDatabaseAuthState(sql, id);
    const pre = await other.state.keys.get('pre-key', ['1', '2', '3']);
    expect(Object.keys(pre).sort()).toEqual(['1', '2']);
    expect(Buffer.from(pre['1']!.private).equals(Buffer.from(pair.private))).toBe(true);
    const sess = await other.state.keys.get('session', ['15551234567.0']);
    expect(Buffer.from(sess['15551234567.0']!)).toEqual(Buffer.from([9, 8, 7]));
    const app = await other.state.keys.get('app-state-sync-key', ['AAAAAB+/=']);
    expect(app['AAAAAB+/=']).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(app['AAAAAB+/=']!.keyData!).toString()).toBe('secret');
    expect(await other.state.keys.get('lid-mapping', ['15551234567'])).toEqual({ '15551234567': '123456789012345' });
    expect(await other.state.keys.get('sender-key-memory', ['120363@g.us'])).toEqual({
      '120363@g.us': { '15551234567:0@s.whatsapp.net': true },
    });

    await state.keys.set({ 'pre-key': { '1': null } });
    expect(Object.keys(await other.state.keys.get('pre-key', ['1', '2']))).toEqual(['2']);
    expect(await other.state.keys.get('pre-key', [])).toEqual({});
  });

  it('applies one keys.set atomically: a failing row rolls back the whole batch', async () => {
    const id = randomUUID();
    const { state } = await useDatabaseAuthState(sql, id);
    await state.keys.set({ session: { a: new Uint8Array([1]) } });
    // Postgres text cannot hold NUL, so the second row makes the statement fail.
    await expect(
      state.keys.set({ session: { a: new Uint8Array([2]), 'bad\u0000id': new Uint8Array([3]) } }),
    ).rejects.toThrow();
    const got = await state.keys.get('session', ['a']);
    expect(Buffer.from(got.a!)).toEqual(Buffer.from([1]));
    // The queue keeps working after a failed write.
    await state.keys.set({ session: { a: new Uint8Array([4]) } });
    expect(Buffer.from((await state.keys.get('session', ['a'])).a!)).toEqual(Buffer.from([4]));
  });

  it('keeps call order for concurrent writes to the same key', async () => {
    const id = randomUUID();
    const { state } = await useDatabaseAuthState(sql, id);
    await Promise.all(Array.from({ length: 25 }, (_, i) => state.keys.set({ session: { s: new Uint8Array([i]) } })));
    expect(Buffer.from((await state.keys.get('session', ['s'])).s!)).toEqual(Buffer.from([24]));
  });

  it('works under Baileys transaction capability: one commit, visible to another reader', async () => {
    const id = randomUUID();
    const { state } = await useDatabaseAuthState(sql, id);
    const tx = addTransactionCapability(state.keys, createLogger('test', 'silent'), {
      maxCommitRetries: 1,
      delayBetweenTriesMs: 10,
    });
    await tx.transaction(async () => {
      await tx.set({ session: { x: new Uint8Array([5]) } });
      await tx.set({ 'pre-key': { '7': initAuthCreds().signedIdentityKey } });
    }, 'k');
    const reader = await useDatabaseAuthState(sql, id);
    expect(Object.keys(await reader.state.keys.get('pre-key', ['7']))).toEqual(['7']);
    expect(Buffer.from((await reader.state.keys.get('session', ['x'])).x!)).toEqual(Buffer.from([5]));
  });

  it('refuses writes from an owner whose fencing token is older than the latest writer', async () => {
    const id = randomUUID();
    const oldOwner = await useDatabaseAuthState(sql, id, { fencingToken: 1 });
    await oldOwner.state.keys.set({ session: { s: new Uint8Array([1]) } });
    const newOwner = await useDatabaseAuthState(sql, id, { fencingToken: 2 });
    await newOwner.state.keys.set({ session: { s: new Uint8Array([2]) } });

    await expect(oldOwner.state.keys.set({ session: { s: new Uint8Array([3]) } })).rejects.toBeInstanceOf(
      FencedOutError,
    );
    await expect(oldOwner.saveCreds()).rejects.toBeInstanceOf(FencedOutError);
    await expect(oldOwner.wipe()).rejects.toBeInstanceOf(FencedOutError);
    expect(Buffer.from((await newOwner.state.keys.get('session', ['s'])).s!)).toEqual(Buffer.from([2]));
    await newOwner.saveCreds();
    expect(await loadCreds(sql, id)).toBeDefined();
  });

  it('wipe deletes creds and keys', async () => {
    const id = randomUUID();
    const a = await useDatabaseAuthState(sql, id);
    await a.saveCreds();
    await a.state.keys.set({ session: { s: new Uint8Array([1]) } });
    await a.wipe();
    expect(await loadCreds(sql, id)).toBeUndefined();
    expect(await a.state.keys.get('session', ['s'])).toEqual({});
  });

  it('once sealed, refuses every write but lands the one already queued', async () => {
    const id = randomUUID();
    const a = await useDatabaseAuthState(sql, id);
    const queued = a.state.keys.set({ session: { before: new Uint8Array([1]) } }); // a last commit in flight
    a.seal();
    await queued;
    await expect(a.state.keys.set({ session: { after: new Uint8Array([2]) } })).rejects.toBeInstanceOf(
      SealedAuthStateError,
    );
    await expect(a.saveCreds()).rejects.toBeInstanceOf(SealedAuthStateError);
    await expect(a.wipe()).rejects.toBeInstanceOf(SealedAuthStateError);
    const b = await useDatabaseAuthState(sql, id); // the next owner
    expect(Object.keys(await b.state.keys.get('session', ['before', 'after']))).toEqual(['before']);
  });
});
