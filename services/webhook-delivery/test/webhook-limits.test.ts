/** Webhooks per connection are bounded (issue 10): each one multiplies the deliveries of every event. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError, CreateWebhook, DeleteWebhook, ListWebhooks } from '@wahooks/contracts';
import { createHarness, startReceiver, type Harness } from './harness.js';

let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  h = await createHarness('wd_webhook_limits', { maxWebhooksPerConnection: 3 });
  rx = await startReceiver(() => 200);
}, 60_000);
afterAll(async () => {
  await rx.close();
  await h.close();
});

describe('webhooks per connection', () => {
  it('concurrent creates: exactly the limit succeed, the rest are 409 with a clear message', async () => {
    const { connectionId, userId } = await h.newConnection();
    const create = () => h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        create().then(
          () => 201,
          (e: AppError) => e,
        ),
      ),
    );
    expect(results.filter((r) => r === 201)).toHaveLength(3);
    const refused = results.filter((r): r is AppError => r instanceof AppError);
    expect(refused).toHaveLength(3);
    for (const e of refused) {
      expect(e.statusCode).toBe(409);
      expect(e.message).toBe('A connection can have at most 3 webhooks; delete one first');
    }
    expect(await h.client.request(ListWebhooks, { userId, connectionId })).toHaveLength(3);

    // deleting one frees a place; another connection has its own
    const [first] = await h.client.request(ListWebhooks, { userId, connectionId });
    await h.client.request(DeleteWebhook, { userId, webhookId: first!.id });
    await expect(create()).resolves.toMatchObject({ sessionId: connectionId });
    const other = await h.newConnection(userId);
    await expect(
      h.client.request(CreateWebhook, { userId, connectionId: other.connectionId, url: rx.url(), events: ['*'] }),
    ).resolves.toMatchObject({ sessionId: other.connectionId });
  });
});
