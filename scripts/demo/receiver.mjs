// The webhook receiver the demo starts on 127.0.0.1: keeps every POST with its raw body and checks both
// signatures with the recipes of docs/webhooks.md (Standard Webhooks through its library, X-WAHooks-Signature by
// hand), once the webhook's signing secret is known.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

/** docs/webhooks.md, "X-WAHooks-Signature": HMAC-SHA256 of `${timestamp}.${body}` keyed by the secret as text. */
function verifyWahooks(rawBody, headers, secret) {
  const ts = headers['x-wahooks-timestamp'];
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex');
  const candidates = [headers['x-wahooks-signature'], headers['x-wahooks-signature-previous']].filter(Boolean);
  return candidates.some(
    (got) => got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected)),
  );
}

/** docs/webhooks.md, "Standard Webhooks": the library, with the secret passed unchanged. */
function verifyStandard(rawBody, headers, secret) {
  try {
    new Webhook(secret).verify(rawBody, headers);
    return true;
  } catch {
    return false;
  }
}

export async function startReceiver() {
  const deliveries = [];
  const waiters = new Set();
  let secret;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const delivery = { path: req.url, headers: req.headers, rawBody, body, at: Date.now() };
      deliveries.push(delivery);
      res.writeHead(204).end();
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    setSecret(value) {
      secret = value;
    },
    /** Both signature checks of one delivery: `{standardWebhooks, wahooks}` booleans. */
    verify(delivery) {
      return {
        standardWebhooks: verifyStandard(delivery.rawBody, delivery.headers, secret),
        wahooks: verifyWahooks(delivery.rawBody, delivery.headers, secret),
      };
    },
    /** The first delivery (past or future) for which `match` is true, or undefined after `timeoutMs`. */
    waitFor(match, timeoutMs) {
      return new Promise((resolve) => {
        const check = () => {
          const found = deliveries.find(match);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolve(undefined);
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
