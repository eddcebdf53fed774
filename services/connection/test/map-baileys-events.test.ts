import { describe, expect, it } from '@jest/globals';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { WhatsAppEventPayload } from '@wahooks/contracts';
import {
  buildEnvelope,
  mapCalls,
  mapChatsUpdate,
  mapMessagesUpdate,
  mapMessagesUpsert,
  mapPresence,
  mapReceiptUpdate,
  mapSessionStatus,
  toChatId,
  toJsonSafe,
  type MapContext,
} from '../src/events/index.js';

const ME = { id: '15550000001@c.us', pushName: 'Alice' };
const ctx: MapContext = {
  me: ME,
  connectionId: 'c1',
  sentByApi: (id) => id === 'APISENT01',
  nowMs: () => 1_741_249_702_485,
};

/** A message as Baileys emits it: protobuf WebMessageInfo (Long timestamp) plus v7's key alternates. */
function wa(obj: Record<string, unknown>, keyExtra: Record<string, unknown> = {}): WAMessage {
  const m = proto.WebMessageInfo.fromObject(obj) as WAMessage;
  Object.assign(m.key, keyExtra);
  return m;
}

const inboundText = wa({
  key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: '3EB0C767D26A1D7C' },
  messageTimestamp: 1741249700,
  pushName: 'Bob',
  message: { conversation: 'hello there' },
});

describe('jids', () => {
  it('prints users as @c.us without device, leaves groups and others alone', () => {
    expect(toChatId('15551234567:12@s.whatsapp.net')).toBe('15551234567@c.us');
    expect(toChatId('120363025246125486@g.us')).toBe('120363025246125486@g.us');
    expect(toChatId('status@broadcast')).toBe('status@broadcast');
    expect(toChatId('123456789012345:3@lid')).toBe('123456789012345@lid');
    expect(toChatId(undefined)).toBeNull();
  });
});

describe('messages.upsert', () => {
  it('maps an inbound 1:1 text to message + message.any with the WAHA shape', () => {
    const out = mapMessagesUpsert({ messages: [inboundText], type: 'notify' }, ctx);
    expect(out.map((e) => e.event).sort()).toEqual(['message', 'message.any']);
    const msg = out.find((e) => e.event === 'message')!;
    expect(msg.dedupeKey).toBe('message:false_15551234567@c.us_3EB0C767D26A1D7C');
    expect(msg.payload).toMatchObject({
      id: 'false_15551234567@c.us_3EB0C767D26A1D7C',
      timestamp: 1741249700,
      from: '15551234567@c.us',
      fromMe: false,
      source: 'app',
      to: ME.id,
      participant: null,
      body: 'hello there',
      hasMedia: false,
      media: null,
      ack: 2,
      ackName: 'DEVICE',
      replyTo: null,
    });
    // _data is plain JSON (Long timestamps became numbers)
    const data = (msg.payload as { _data: { messageTimestamp: unknown; pushName: string } })._data;
    expect(data.messageTimestamp).toBe(1741249700);
    expect(data.pushName).toBe('Bob');
    expect(() => JSON.stringify(msg.payload)).not.toThrow();
  });

  it('uses the phone number when Baileys addresses the sender by LID', () => {
    const m = wa(
      {
        key: { remoteJid: '987654321098765@lid', fromMe: false, id: 'LIDMSG1' },
        messageTimestamp: 1,
        message: { conversation: 'x' },
      },
      { remoteJidAlt: '15557654321@s.whatsapp.net' },
    );
    const [any] = mapMessagesUpsert({ messages: [m], type: 'notify' }, ctx);
    expect((any!.payload as { id: string; from: string }).from).toBe('15557654321@c.us');
    expect((any!.payload as { id: string }).id).toBe('false_15557654321@c.us_LIDMSG1');
  });

  it('emits only message.any for own messages, with source api for ones sent through the API', () => {
    const mine = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'APISENT01' },
      messageTimestamp: 5,
      status: proto.WebMessageInfo.Status.PENDING,
      message: { extendedTextMessage: { text: 'sent by api' } },
    });
    const out = mapMessagesUpsert({ messages: [mine], type: 'append' }, ctx);
    expect(out.map((e) => e.event)).toEqual(['message.any']);
    expect(out[0]!.payload).toMatchObject({
      id: 'true_15551234567@c.us_APISENT01',
      fromMe: true,
      source: 'api',
      to: '15551234567@c.us',
      body: 'sent by api',
      ack: 0,
      ackName: 'PENDING',
    });
  });

  it('maps group messages with participant, and inbound media with a URL to this API', () => {
    const img = wa({
      key: {
        remoteJid: '120363025246125486@g.us',
        fromMe: false,
        id: 'ABCDEF0123',
        participant: '15551234567:2@s.whatsapp.net',
      },
      messageTimestamp: 7,
      message: {
        imageMessage: {
          url: 'https://mmg.whatsapp.net/v/t62/abc.enc',
          mimetype: 'image/jpeg',
          caption: 'look',
          fileSha256: Buffer.from('aa', 'hex'),
          mediaKey: Buffer.alloc(32, 1),
          fileLength: 1234,
        },
      },
    });
    const msg = mapMessagesUpsert({ messages: [img], type: 'notify' }, ctx).find((e) => e.event === 'message')!;
    expect(msg.payload).toMatchObject({
      from: '120363025246125486@g.us',
      to: '120363025246125486@g.us',
      participant: '15551234567@c.us',
      body: 'look',
      hasMedia: true,
      media: {
        // the id, then the chat and sender (opaque 24 hex): another sender's message with this id is another file
        url: expect.stringMatching(/^\/api\/connections\/c1\/media\/ABCDEF0123-[0-9a-f]{24}\.jpeg$/),
        file: expect.stringMatching(/^ABCDEF0123-[0-9a-f]{24}\.jpeg$/),
        mimetype: 'image/jpeg',
        filename: null,
        error: null,
      },
    });
    const data = (msg.payload as { _data: { message: { imageMessage: { mediaKey: string; fileLength: number } } } })
      ._data;
    expect(data.message.imageMessage.mediaKey).toBe(Buffer.alloc(32, 1).toString('base64'));
    expect(data.message.imageMessage.fileLength).toBe(1234);
  });

  it('unwraps ephemeral messages and documents with captions; carries replyTo', () => {
    const m = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'EPH1' },
      messageTimestamp: 9,
      message: {
        ephemeralMessage: {
          message: {
            extendedTextMessage: {
              text: 'answer',
              contextInfo: {
                stanzaId: 'Q1',
                participant: '15550000001@s.whatsapp.net',
                quotedMessage: { conversation: 'question' },
              },
            },
          },
        },
      },
    });
    const doc = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'DOC1' },
      messageTimestamp: 9,
      message: {
        documentWithCaptionMessage: {
          message: { documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf', caption: 'cv' } },
        },
      },
    });
    const out = mapMessagesUpsert({ messages: [m, doc], type: 'notify' }, ctx).filter((e) => e.event === 'message');
    expect(out[0]!.payload).toMatchObject({
      body: 'answer',
      replyTo: { id: 'Q1', participant: '15550000001@c.us', body: 'question' },
    });
    expect(out[1]!.payload).toMatchObject({
      body: 'cv',
      hasMedia: true,
      media: {
        url: expect.stringMatching(/^\/api\/connections\/c1\/media\/DOC1-[0-9a-f]{24}\.pdf$/),
        mimetype: 'application/pdf',
        filename: 'a.pdf',
      },
    });
  });

  it('maps reactions (and removals), not as messages', () => {
    const target = { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'MINE1' };
    const add = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'R1' },
      messageTimestamp: 11,
      message: { reactionMessage: { key: target, text: '👍', senderTimestampMs: 11000 } },
    });
    const remove = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'R2' },
      messageTimestamp: 12,
      message: { reactionMessage: { key: target, text: '' } },
    });
    const out = mapMessagesUpsert({ messages: [add, remove], type: 'notify' }, ctx);
    expect(out.map((e) => e.event)).toEqual(['message.reaction', 'message.reaction']);
    expect(out[0]!.payload).toEqual({
      id: 'false_15551234567@c.us_R1',
      from: '15551234567@c.us',
      fromMe: false,
      participant: null,
      to: ME.id,
      timestamp: 11,
      reaction: { text: '👍', messageId: 'true_15551234567@c.us_MINE1' },
    });
    expect((out[1]!.payload as { reaction: { text: string } }).reaction.text).toBe('');
  });

  it('maps a revoke with the kept original as before, and an edit with the new body', () => {
    const original = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'ORIG1' },
      messageTimestamp: 20,
      message: { conversation: 'oops' },
    });
    const revoke = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'REV1' },
      messageTimestamp: 21,
      message: {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.REVOKE,
          key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'ORIG1' },
        },
      },
    });
    const edit = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'EDIT1' },
      messageTimestamp: 22,
      message: {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'ORIG2' },
          editedMessage: { conversation: 'fixed text' },
          timestampMs: 22000,
        },
      },
    });
    const withStore: MapContext = { ...ctx, findMessage: (k) => (k.id === 'ORIG1' ? original : undefined) };
    const out = mapMessagesUpsert({ messages: [revoke, edit], type: 'notify' }, withStore);
    expect(out.map((e) => e.event)).toEqual(['message.revoked', 'message.edited']);
    expect(out[0]!.payload).toMatchObject({
      revokedMessageId: 'ORIG1',
      before: { id: 'false_15551234567@c.us_ORIG1', body: 'oops' },
      after: { id: 'false_15551234567@c.us_REV1' },
    });
    expect(out[1]!.payload).toMatchObject({
      id: 'false_15551234567@c.us_EDIT1',
      body: 'fixed text',
      editedMessageId: 'ORIG2',
    });
  });

  it("keeps a sender's first group message, which carries its sender key and the text together", () => {
    const m = wa({
      key: { remoteJid: '120363@g.us', fromMe: false, id: 'SKD1', participant: '15551234567@s.whatsapp.net' },
      messageTimestamp: 3,
      message: {
        senderKeyDistributionMessage: { groupId: '120363@g.us', axolotlSenderKeyDistributionMessage: Buffer.from([1]) },
        conversation: 'first in group',
      },
    });
    const skOnly = wa({
      key: { remoteJid: '120363@g.us', fromMe: false, id: 'SKD2', participant: '15551234567@s.whatsapp.net' },
      messageTimestamp: 3,
      message: { senderKeyDistributionMessage: { groupId: '120363@g.us' } },
    });
    const out = mapMessagesUpsert({ messages: [m, skOnly], type: 'notify' }, ctx).filter((e) => e.event === 'message');
    expect(out.map((e) => (e.payload as { body: string }).body)).toEqual(['first in group']);
  });

  it('drops protocol-only messages (key share)', () => {
    const keyShare = wa({
      key: { remoteJid: '15550000001@s.whatsapp.net', fromMe: true, id: 'KS1' },
      messageTimestamp: 1,
      message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE } },
    });
    expect(mapMessagesUpsert({ messages: [keyShare], type: 'notify' }, ctx)).toEqual([]);
  });

  it('maps an undecryptable CIPHERTEXT stub to message.waiting (only), shaped like message', () => {
    // As Baileys emits a decryption failure: no content, stub type CIPHERTEXT (2), the error as parameter.
    const stub = wa(
      {
        key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'CT1' },
        messageTimestamp: 1741249700,
        pushName: 'Bob',
        messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT,
        messageStubParameters: ['No session found to decrypt message'],
      },
      { remoteJidAlt: '123456789012345@lid', addressingMode: 'pn' },
    );
    const out = mapMessagesUpsert({ messages: [stub], type: 'notify' }, ctx);
    expect(out).toHaveLength(1);
    expect(out[0]!.event).toBe('message.waiting');
    expect(out[0]!.dedupeKey).toBe('message.waiting:false_15551234567@c.us_CT1');
    expect(out[0]!.payload).toMatchObject({
      id: 'false_15551234567@c.us_CT1',
      timestamp: 1741249700,
      from: '15551234567@c.us',
      fromMe: false,
      to: ME.id,
      body: null,
      hasMedia: false,
    });
    const envelope = buildEnvelope(
      out[0]!,
      {
        connectionId: '0c9a7f43-3c1b-4a4e-9d55-1f1d1c2b3a40',
        userId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
        session: 'u_x_s_y',
        me: ME,
        engineVersion: 'test',
      },
      ctx.nowMs(),
    );
    expect(WhatsAppEventPayload.safeParse(toJsonSafe(envelope)).success).toBe(true);

    // Own stubs (another device of this number) are not `message`s either.
    const own = wa({ key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'CT2' }, messageStubType: 2 });
    expect(mapMessagesUpsert({ messages: [own], type: 'notify' }, ctx)).toEqual([]);

    // Once decrypted, the same key id arrives with content and is a `message`.
    const decrypted = wa({
      key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'CT1' },
      messageTimestamp: 1741249700,
      message: { conversation: 'now readable' },
    });
    const later = mapMessagesUpsert({ messages: [decrypted], type: 'notify' }, ctx);
    expect(later.map((e) => e.event).sort()).toEqual(['message', 'message.any']);
  });
});

describe('acks', () => {
  it('maps 1:1 status updates of own messages, ignoring others and non-status updates', () => {
    const out = mapMessagesUpdate(
      [
        {
          key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'M1' },
          update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK },
        },
        {
          key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'M1' },
          update: { status: proto.WebMessageInfo.Status.READ },
        },
        { key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'M2' }, update: { status: 4 } },
        { key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'M3' }, update: { starred: true } },
      ],
      ctx,
    );
    expect(out.map((e) => e.payload)).toEqual([
      {
        id: 'true_15551234567@c.us_M1',
        from: '15551234567@c.us',
        to: '15551234567@c.us',
        participant: null,
        fromMe: true,
        ack: 2,
        ackName: 'DEVICE',
      },
      {
        id: 'true_15551234567@c.us_M1',
        from: '15551234567@c.us',
        to: '15551234567@c.us',
        participant: null,
        fromMe: true,
        ack: 3,
        ackName: 'READ',
      },
    ]);
    expect(new Set(out.map((e) => e.dedupeKey)).size).toBe(2);
  });

  it('maps group receipts per reader', () => {
    const out = mapReceiptUpdate(
      [
        {
          key: { remoteJid: '120363@g.us', fromMe: true, id: 'G1' },
          receipt: { userJid: '15551234567:1@s.whatsapp.net', readTimestamp: 100 },
        },
        {
          key: { remoteJid: '120363@g.us', fromMe: true, id: 'G1' },
          receipt: { userJid: '15559999999@s.whatsapp.net', receiptTimestamp: 90 },
        },
      ],
      ctx,
    );
    expect(
      out.map((e) => [(e.payload as { participant: string }).participant, (e.payload as { ackName: string }).ackName]),
    ).toEqual([
      ['15551234567@c.us', 'READ'],
      ['15559999999@c.us', 'DEVICE'],
    ]);
  });
});

describe('presence, calls, chats, status', () => {
  it('maps presence names to WAHA', () => {
    const [e] = mapPresence({
      id: '15551234567@s.whatsapp.net',
      presences: {
        '15551234567@s.whatsapp.net': { lastKnownPresence: 'composing' },
        '15550000002@s.whatsapp.net': { lastKnownPresence: 'unavailable', lastSeen: 99 },
      },
    });
    expect(e!.payload).toEqual({
      id: '15551234567@c.us',
      presences: [
        { participant: '15551234567@c.us', lastKnownPresence: 'typing', lastSeen: null },
        { participant: '15550000002@c.us', lastKnownPresence: 'offline', lastSeen: 99 },
      ],
    });
  });

  it('maps call offers, accepts and rejects; ignores ringing/terminate', () => {
    const base = {
      chatId: '15551234567@s.whatsapp.net',
      from: '15551234567@s.whatsapp.net',
      id: 'CALL1',
      date: new Date(1_700_000_000_500),
      offline: false,
    };
    const out = mapCalls([
      { ...base, status: 'offer', isVideo: true, isGroup: false },
      { ...base, status: 'ringing' },
      { ...base, status: 'accept' },
      { ...base, status: 'reject' },
      { ...base, status: 'terminate' },
    ]);
    expect(out.map((e) => e.event)).toEqual(['call.received', 'call.accepted', 'call.rejected']);
    expect(out[0]!.payload).toEqual({
      id: 'CALL1',
      from: '15551234567@c.us',
      timestamp: 1_700_000_000,
      isVideo: true,
      isGroup: false,
    });
  });

  it('maps archive changes only', () => {
    const out = mapChatsUpdate(
      [
        { id: '15551234567@s.whatsapp.net', archived: true },
        { id: '15551234567@s.whatsapp.net', conversationTimestamp: 5, unreadCount: 1 },
      ],
      ctx,
    );
    expect(out).toEqual([
      { event: 'chat.archive', payload: { id: '15551234567@c.us', archived: true, timestamp: 1_741_249_702 } },
    ]);
  });

  it('keeps the last three statuses in session.status', () => {
    const e = mapSessionStatus([
      { status: 'pending', timestampMs: 1 },
      { status: 'scan_qr', timestampMs: 2 },
      { status: 'pending', timestampMs: 3 },
      { status: 'working', timestampMs: 4 },
    ]);
    expect(e.payload).toEqual({
      status: 'WORKING',
      statuses: [
        { status: 'SCAN_QR_CODE', timestamp: 2 },
        { status: 'STARTING', timestamp: 3 },
        { status: 'WORKING', timestamp: 4 },
      ],
    });
  });
});

describe('envelope', () => {
  it('wraps an event in the WAHA envelope the contract accepts, with unique sortable ids', () => {
    const [mapped] = mapMessagesUpsert({ messages: [inboundText], type: 'notify' }, ctx);
    const envCtx = {
      connectionId: '8d3c1f2e-4b5a-4c6d-9e8f-0a1b2c3d4e5f',
      userId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
      session: 'u_1b2c3d4e5f60_s_0a1b2c3d4e5f',
      me: ME,
      engineVersion: '7.0.0-rc14',
    };
    const a = buildEnvelope(mapped!, envCtx, 1_741_249_702_485);
    const b = buildEnvelope(mapped!, envCtx, 1_741_249_702_485);
    expect(WhatsAppEventPayload.parse(a)).toBeTruthy();
    expect(a.id).toMatch(/^evt_[0-9a-z]{26}$/);
    expect(a.id < b.id).toBe(true);
    expect(a).toMatchObject({
      timestamp: 1_741_249_702_485,
      event: 'message.any',
      engine: 'NOWEB',
      me: ME,
      connectionId: envCtx.connectionId,
    });
  });

  it('toJsonSafe turns binary and longs into JSON', () => {
    expect(toJsonSafe({ a: new Uint8Array([1, 2]), b: undefined, c: [new Date(0)], d: 10n })).toEqual({
      a: 'AQI=',
      c: ['1970-01-01T00:00:00.000Z'],
      d: 10,
    });
  });
});
