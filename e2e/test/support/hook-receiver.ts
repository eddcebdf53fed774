/**
 * A local webhook receiver that keeps, per WhatsApp message id of an inbound `message` event, how many POSTs
 * carried it and under which webhook-ids (a retry or redelivery of one event keeps its webhook-id).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookReceiver {
  url: string;
  /** By WhatsApp message id (the emulator's id of an inbound message): POSTs and their webhook-ids. */
  seen: Map<string, { posts: number; webhookIds: Set<string> }>;
  /** Every POST, of any event. */
  posts(): number;
  close(): Promise<void>;
}

export async function startHookReceiver(): Promise<HookReceiver> {
  const seen: HookReceiver['seen'] = new Map();
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string; payload: { id: string } };
        if (body.event === 'message') {
          const messageId = body.payload.id.split('_').pop()!; // `false_<chat>_<message id>`
          const entry = seen.get(messageId) ?? { posts: 0, webhookIds: new Set<string>() };
          entry.posts++;
          entry.webhookIds.add(String(req.headers['webhook-id']));
          seen.set(messageId, entry);
        }
      } finally {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    seen,
    posts: () => posts,
    close() {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
