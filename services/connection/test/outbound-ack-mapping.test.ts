/** Acks of our own sends when Baileys folds the receipt into the sent message's upsert (pure mapping). */
import { describe, expect, it } from '@jest/globals';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { mapMessagesUpdate, mapMessagesUpsert, type MapContext } from '../src/events/index.js';

const ctx: MapContext = { me: { id: '15550000001@c.us' }, connectionId: 'c1', nowMs: () => 1_741_249_702_485 };
const key = { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: '3EB0AAAABBBBCCCCDDDD' };
const sent = (status: proto.WebMessageInfo.Status) =>
  proto.WebMessageInfo.fromObject({
    key,
    messageTimestamp: 1741249700,
    status,
    message: { conversation: 'hi' },
  }) as WAMessage;

describe('message.ack from a folded receipt', () => {
  it('an own message upserted as delivered also yields its ack, with the same dedupe key as a messages.update', () => {
    const events = mapMessagesUpsert(
      { type: 'append', messages: [sent(proto.WebMessageInfo.Status.DELIVERY_ACK)] },
      ctx,
    );
    expect(events.map((e) => e.event)).toEqual(['message.any', 'message.ack']);
    const ack = events[1]!;
    expect(ack.payload).toEqual({
      id: 'true_15551234567@c.us_3EB0AAAABBBBCCCCDDDD',
      from: '15551234567@c.us',
      to: '15551234567@c.us',
      participant: null,
      fromMe: true,
      ack: 2,
      ackName: 'DEVICE',
    });
    const [fromUpdate] = mapMessagesUpdate(
      [{ key, update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK } }],
      ctx,
    );
    expect(fromUpdate).toEqual(ack); // the outbox keeps one of the two
  });

  it('pending or server-acked own messages, and received messages, yield no ack', () => {
    for (const status of [proto.WebMessageInfo.Status.PENDING, proto.WebMessageInfo.Status.SERVER_ACK]) {
      expect(mapMessagesUpsert({ type: 'append', messages: [sent(status)] }, ctx).map((e) => e.event)).toEqual([
        'message.any',
      ]);
    }
    const received = proto.WebMessageInfo.fromObject({
      key: { ...key, fromMe: false },
      messageTimestamp: 1741249700,
      status: proto.WebMessageInfo.Status.READ,
      message: { conversation: 'hi' },
    }) as WAMessage;
    expect(mapMessagesUpsert({ type: 'notify', messages: [received] }, ctx).map((e) => e.event)).toEqual([
      'message.any',
      'message',
    ]);
  });
});
