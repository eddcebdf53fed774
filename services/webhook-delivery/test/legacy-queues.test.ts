/**
 * Upgrade from the quorum delay/parked queues to the classic ones: a broker holding the older deployment's
 * queues (with messages) is taken over without PRECONDITION_FAILED, parked messages move, delay queues drain and
 * go, and the new queues are classic.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Exchanges } from '@wahooks/contracts';
import { queueExists, queueMessageCount, tryAssertQueue } from '@wahooks/testing';
import { AttemptQueue, delayQueue, encodeTask, LegacyQueues, ParkedQueue } from '../src/topology.js';
import { createHarness, waitFor, type Harness } from './harness.js';

const LONG_MS = 8000; // a rung long enough that its legacy queue still holds a message when the service starts
let h: Harness;
const ns = (raw: string) => `${h.env.namespace}${raw}`;
const exists = (raw: string) => queueExists(h.env.rabbitmqUrl, ns(raw));
/** Declaring with these arguments succeeds only if they (the type included) are the queue's own. */
const declaresAs = (raw: string, args: Record<string, unknown>) => tryAssertQueue(h.env.rabbitmqUrl, ns(raw), args);

beforeAll(async () => {
  h = await createHarness('wd_legacy', { retrySchedule: [200, LONG_MS], retryJitter: 0 }, { start: false });
  // The older deployment's topology, as it declared it (quorum everywhere), with messages in it.
  await h.client.addSetup(async (ch) => {
    await ch.assertQueue(ns(AttemptQueue), {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': ns(Exchanges.deadLetters),
        'x-dead-letter-routing-key': 'webhook-delivery',
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
        'x-delivery-limit': 20,
      },
    });
    await ch.assertQueue(ns(LegacyQueues.parked), {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-max-length': 100_000, 'x-overflow': 'drop-head' },
    });
    for (const ms of [200, 400, LONG_MS, 2 * LONG_MS, h.config.busyDelayMs]) {
      await ch.assertQueue(ns(LegacyQueues.delay(ms)), {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-message-ttl': ms,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': ns(AttemptQueue),
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
    }
  });
  const task = encodeTask({ deliveryId: '00000000-0000-4000-8000-000000000000', attempt: 2 });
  await h.client.publishRaw('', LegacyQueues.parked, task);
  await h.client.publishRaw('', LegacyQueues.parked, task);
  await h.client.publishRaw('', LegacyQueues.delay(LONG_MS), task);
});
afterAll(async () => {
  await h?.close();
});

describe('upgrade from the quorum delay and parked queues', () => {
  it('starts on a broker holding them, moves parked messages, and deletes each legacy queue once empty', async () => {
    await h.start(); // the new names: no PRECONDITION_FAILED on the old ones
    await h.service!.legacyQueuesRetired;

    expect(await exists(LegacyQueues.parked)).toBe(false);
    expect(await queueMessageCount(h.env.rabbitmqUrl, ns(ParkedQueue))).toBe(2);
    expect(await exists(LegacyQueues.delay(200))).toBe(false); // empty: deleted at once
    expect(await exists(LegacyQueues.delay(LONG_MS))).toBe(true); // still holds a message: kept

    // Its message dead-letters to the attempt queue at TTL; the next pass (TTL + 1 s) deletes the queue.
    await waitFor(async () => !(await exists(LegacyQueues.delay(LONG_MS))), 20_000, 'legacy delay queue gone');
  }, 45_000);

  it('declares the delay and parked queues classic, the attempt queue quorum', async () => {
    expect(
      await declaresAs(delayQueue(LONG_MS), {
        'x-queue-type': 'classic',
        'x-message-ttl': LONG_MS,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': ns(AttemptQueue),
      }),
    ).toBe(true);
    expect(
      await declaresAs(ParkedQueue, { 'x-queue-type': 'classic', 'x-max-length': 100_000, 'x-overflow': 'drop-head' }),
    ).toBe(true);
    // The same name with the quorum type is refused: the type really is classic.
    expect(await declaresAs(ParkedQueue, { 'x-queue-type': 'quorum' })).toBe(false);
    expect(await declaresAs(AttemptQueue, { 'x-queue-type': 'classic' })).toBe(false); // still quorum
  });
});
