import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { messageById, pairClient, waitFor, type TestClient } from './support/client.js';

const ALICE = '4915700000011';
const BOB = '4915700000012';

describe('group chats', () => {
  let emulator: Emulator;
  let client: TestClient;
  let phone: string;
  let groupJid: string;

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none' });
    trustServerRootKey(emulator.rootPublicKey);
    ({ client, phone } = await pairClient(emulator));
    ({ jid: groupJid } = emulator.createGroup({ creator: ALICE, participants: [phone, BOB], subject: 'Team' }));
  });
  afterAll(async () => {
    client?.end();
    await emulator.close();
  });

  it('inbound group messages (sender key skmsg after its distribution pkmsg) arrive from each member', async () => {
    const { id: first } = await emulator.inbound({
      to: phone,
      from: ALICE,
      group: groupJid,
      type: 'text',
      text: 'hi team',
    });
    const { id: second } = await emulator.inbound({
      to: phone,
      from: BOB,
      group: groupJid,
      type: 'text',
      text: 'hi alice',
    });
    const { id: third } = await emulator.inbound({
      to: phone,
      from: ALICE,
      group: groupJid,
      type: 'text',
      text: 'again',
    });
    const a = await waitFor(() => messageById(client, first), 'first');
    const b = await waitFor(() => messageById(client, second), 'second');
    const c = await waitFor(() => messageById(client, third), 'third');
    expect(a.key).toMatchObject({ remoteJid: groupJid, participant: `${ALICE}@s.whatsapp.net`, fromMe: false });
    expect(a.message?.conversation).toBe('hi team');
    expect(b.key.participant).toBe(`${BOB}@s.whatsapp.net`);
    expect(b.message?.conversation).toBe('hi alice');
    expect(c.message?.conversation).toBe('again');
  });

  it('group metadata is answered', async () => {
    const metadata = await client.sock.groupMetadata(groupJid);
    expect(metadata.subject).toBe('Team');
    expect(metadata.participants.map((p) => p.id).sort()).toEqual(
      [ALICE, BOB, phone].map((p) => `${p}@s.whatsapp.net`).sort(),
    );
  });

  it('outbound group messages are captured: first with the sender-key distribution, then on the sender key alone', async () => {
    const send = async (text: string) => {
      const id = (await client.sock.sendMessage(groupJid, { text }))!.key.id!;
      return waitFor(() => emulator.outbound(phone).find((r) => r.id === id), `group outbound ${text}`);
    };
    const first = await send('hello group');
    expect(first).toMatchObject({ type: 'text', text: 'hello group', to: groupJid, group: groupJid });
    expect(first.error).toBeUndefined();
    const second = await send('second to the group');
    expect(second).toMatchObject({ type: 'text', text: 'second to the group', group: groupJid });
    expect(second.error).toBeUndefined();
  });

  it('rejects bad group ids', async () => {
    await expect(emulator.inbound({ to: phone, from: ALICE, group: 'nope', type: 'text', text: 'x' })).rejects.toThrow(
      /group must be/,
    );
    expect(() => emulator.createGroup({ creator: ALICE, participants: 'x' as never })).toThrow(
      /participants must be an array/,
    );
  });
});
