/**
 * Labels by app-state sync with the real Baileys client, which verifies every patch MAC and the LT-hash snapshot
 * MAC after each patch (test/support/client.ts turns that on): the phone's label edits and chat labels reach it
 * as `labels.edit` / `labels.association`, in order, also after it was offline; its own label patches are
 * accepted at the server's version; its LT hash ends equal to the server's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BaileysEventMap, LTHashState } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { appStateOf } from '../src/app-state.js';
import { createClient, pairClient, waitFor, type TestClient } from './support/client.js';

const BOB = '4915700000051';
const bobJid = `${BOB}@s.whatsapp.net`;

type LabelEdit = BaileysEventMap['labels.edit'];
type LabelAssociationEvent = BaileysEventMap['labels.association'];

describe('labels (app-state sync)', () => {
  let emulator: Emulator;
  let client: TestClient;
  let phone: string;

  const edits = () => client.events.filter((e) => e.name === 'labels.edit').map((e) => e.data as LabelEdit);
  const associations = () =>
    client.events.filter((e) => e.name === 'labels.association').map((e) => e.data as LabelAssociationEvent);
  const clientState = async (): Promise<LTHashState | undefined> =>
    (await client.keys.get('app-state-sync-version', ['regular'])).regular;

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none' });
    trustServerRootKey(emulator.rootPublicKey);
    ({ client, phone } = await pairClient(emulator));
    // the key share came with the first login: the client holds the phone's app-state key
    await waitFor(() => client.creds.myAppStateKeyId, 'the app-state key share');
  }, 60_000);
  afterAll(async () => {
    client?.end();
    await emulator.close();
  });

  it('shares a per-account app-state key with the linked device', () => {
    const state = appStateOf(emulator['directory'].account(phone)!);
    expect(client.creds.myAppStateKeyId).toBe(state.keyId.toString('base64'));
  });

  it('delivers a created, renamed and recoloured label as labels.edit, with the MACs the client verifies', async () => {
    const created = await emulator.labelEdit({ phone, name: 'New customer', color: 3 });
    expect(created).toEqual({ id: '1', name: 'New customer', color: 3, deleted: false });
    await waitFor(() => edits().length >= 1, 'labels.edit of the new label');
    expect(edits()[0]).toMatchObject({ id: '1', name: 'New customer', color: 3, deleted: false });

    await emulator.labelEdit({ phone, id: '1', name: 'Customer' });
    await waitFor(() => edits().length >= 2, 'labels.edit of the renamed label');
    await emulator.labelEdit({ phone, id: '1', color: 7 });
    await waitFor(() => edits().length >= 3, 'labels.edit of the recoloured label');
    // every change arrived (none skipped for a bad MAC), in order
    expect(edits().map((e) => [e.name, e.color])).toEqual([
      ['New customer', 3],
      ['Customer', 3],
      ['Customer', 7],
    ]);
    expect(emulator.labels(phone).labels).toEqual([{ id: '1', name: 'Customer', color: 7, deleted: false }]);
  });

  it('collapses changes of one label fetched in one sync into its last state, as Baileys does', async () => {
    const seen = edits().length;
    await emulator.labelEdit({ phone, id: '1', name: 'Interim' });
    await emulator.labelEdit({ phone, id: '1', name: 'Customer' });
    await waitFor(() => edits().some((e, i) => i >= seen && e.name === 'Customer'), 'the last rename');
    // the first server_sync fetch may already carry both patches (Baileys keeps the last mutation per index)
    expect(
      edits()
        .slice(seen)
        .map((e) => e.name),
    ).toEqual(expect.arrayContaining(['Customer']));
    expect(edits().at(-1)!.name).toBe('Customer');
  });

  it('delivers a label put on and taken off a chat or a message as labels.association', async () => {
    await emulator.labelChat({ phone, labelId: '1', chat: BOB, labeled: true });
    await waitFor(() => associations().length >= 1, 'the chat label');
    expect(associations()[0]).toEqual({
      type: 'add',
      association: { type: 'label_jid', chatId: bobJid, labelId: '1' },
    });
    expect(emulator.labels(phone).associations).toEqual([{ labelId: '1', chatJid: bobJid }]);

    await emulator.labelChat({ phone, labelId: '1', chat: `${BOB}@c.us`, labeled: false });
    await emulator.labelChat({ phone, labelId: '1', chat: BOB, labeled: true, messageId: '3A0123456789' });
    await waitFor(() => associations().length >= 3, 'the chat label removal and the message label');
    expect(associations().slice(1)).toEqual([
      { type: 'remove', association: { type: 'label_jid', chatId: bobJid, labelId: '1' } },
      {
        type: 'add',
        association: { type: 'label_message', chatId: bobJid, messageId: '3A0123456789', labelId: '1' },
      },
    ]);
    expect(emulator.labels(phone).associations).toEqual([{ labelId: '1', chatJid: bobJid, messageId: '3A0123456789' }]);
  });

  it("keeps the client's LT hash and version equal to the server's", async () => {
    const server = appStateOf(emulator['directory'].account(phone)!).collections.get('regular')!.state;
    expect(emulator.labels(phone).versions).toEqual({ regular: server.version });
    let state = await clientState();
    for (let i = 0; i < 200 && state?.version !== server.version; i++) {
      await new Promise((r) => setTimeout(r, 25));
      state = await clientState();
    }
    expect(state?.version).toBe(server.version);
    expect(Buffer.from(state!.hash).equals(Buffer.from(server.hash))).toBe(true);
  });

  it("accepts the client's own label patch (sock.addLabel) at the server's version", async () => {
    const before = emulator.labels(phone).versions.regular!;
    await client.sock.addLabel(bobJid, { id: '9', name: 'From the app', color: 2, deleted: false });
    expect(emulator.labels(phone).versions.regular).toBe(before + 1);
    expect(emulator.labels(phone).labels).toContainEqual({ id: '9', name: 'From the app', color: 2, deleted: false });
    // the phone's next label takes the next free id, and the client still verifies the chain
    const next = await emulator.labelEdit({ phone, name: 'After', color: 0 });
    expect(next.id).toBe('10');
    await waitFor(() => edits().some((e) => e.id === '10'), 'labels.edit after the client patch');
  });

  it('shares a new app-state key on demand (rotate): later patches use it and the client still decodes them', async () => {
    const before = client.creds.myAppStateKeyId;
    const { keyId } = emulator.shareAppStateKeys({ phone, rotate: true });
    expect(keyId).not.toBe(before);
    await waitFor(() => client.creds.myAppStateKeyId === keyId, 'the new key at the client');
    await emulator.labelEdit({ phone, id: '9', name: 'Under the new key' });
    await waitFor(() => edits().some((e) => e.name === 'Under the new key'), 'labels.edit under the new key');
    // and its own next patch is made with the new key, which the server accepts
    const version = emulator.labels(phone).versions.regular!;
    await client.sock.addChatLabel(bobJid, '9');
    expect(emulator.labels(phone).versions.regular).toBe(version + 1);
    expect(emulator.labels(phone).associations).toContainEqual({ labelId: '9', chatJid: bobJid });
    expect(() => emulator.shareAppStateKeys({ phone, rotate: 'yes' as never })).toThrow('rotate must be true or false');
  });

  it('deletes a label (labels.edit with deleted: true) and delivers changes made while the client was offline', async () => {
    client.autoRestart = false;
    client.end();
    await waitFor(() => !emulator.accounts().find((a) => a.phone === phone)?.connected, 'the client offline');
    await emulator.labelDelete({ phone, id: '10' });
    await emulator.labelEdit({ phone, name: 'Offline', color: 5 });

    const again = createClient({ emulator, creds: client.creds, keys: client.keys });
    try {
      await waitFor(
        () => again.events.some((e) => e.name === 'labels.edit' && (e.data as LabelEdit).name === 'Offline'),
        'the offline label changes',
      );
      const seen = again.events.filter((e) => e.name === 'labels.edit').map((e) => e.data as LabelEdit);
      // only what changed since its last version: not the labels it already had
      expect(seen.map((e) => [e.id, e.deleted])).toEqual([
        ['10', true],
        ['11', false],
      ]);
    } finally {
      again.end();
    }
  });

  it('refuses bad label commands with EmulatorInputError (400 on the control API)', async () => {
    await expect(emulator.labelEdit({ phone, name: '' })).rejects.toThrow('name must be a non-empty string');
    await expect(emulator.labelEdit({ phone, name: 'x', color: 20 })).rejects.toThrow(
      'color must be an integer from 0 to 19',
    );
    await expect(emulator.labelEdit({ phone, id: '404', name: 'x' })).rejects.toThrow(/has no label 404/);
    await expect(emulator.labelDelete({ phone, id: '10' })).rejects.toThrow(/has no label 10/); // deleted already
    await expect(emulator.labelChat({ phone, labelId: '1', chat: 'bob', labeled: true })).rejects.toThrow(
      /chat must be a phone number/,
    );
    await expect(emulator.labelChat({ phone, labelId: '1', chat: BOB } as never)).rejects.toThrow(
      'labeled must be true or false',
    );
    await expect(emulator.labelEdit({ phone: '12', name: 'x' })).rejects.toThrow(/phone must be a phone number/);

    const post = (path: string, body: unknown) =>
      fetch(`${emulator.baseUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const bad = await post('/control/label', { phone, name: 'x', color: 'red' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ statusCode: 400, message: 'color must be an integer from 0 to 19' });
    const good = await post('/control/label', { phone, name: 'Over HTTP', color: 1 });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ name: 'Over HTTP', color: 1, deleted: false });
    const list = await fetch(`${emulator.baseUrl}/control/labels?phone=${phone}`);
    const listed = (await list.json()) as { labels: unknown[] };
    expect(listed.labels).toContainEqual(expect.objectContaining({ name: 'Over HTTP' }));
  });
});
