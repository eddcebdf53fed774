// The demo's walk-through, one step per product feature, in the order a customer meets them. Each step reads and
// extends `state` (what earlier steps created) and returns a one-line summary; a thrown error fails the demo.
import WebSocket from 'ws';
import { apiClient, sleep, waitUntil } from './api.mjs';
import { freePort, prepareServers, shown } from './isolation.mjs';
import { signHs256 } from './jwt.mjs';
import { DemoError, detail, note } from './output.mjs';
import { startEmulator, startServices } from './processes.mjs';
import { decodeQrPng, demoImagePng, renderQrForTerminal } from './qr.mjs';
import { startReceiver } from './receiver.mjs';

// GET /api/health pings these; the gateway answering it is the gateway's own check
const PINGED_SERVICES = ['billing', 'connection', 'messaging', 'token', 'webhook-delivery'];
const clip = (text, max = 160) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** `<service> crashed (…): <its first error line>` once the supervisor reported a crash, else undefined. */
function crashReport(lines) {
  const crashed = lines.map((line) => /\] (\S+) crashed \((.+?)\)/.exec(line)).find(Boolean);
  if (!crashed) return undefined;
  const [, name, how] = crashed;
  const own = lines
    .filter((line) => line.startsWith(`[${name} `) || line.startsWith(`[${name}]`))
    .map((line) => line.replace(/^\[[^\]]*\]\s*/, ''));
  const at = own.findIndex((line) => /error/i.test(line) && !/^\s*at /.test(line));
  if (at < 0) return `${name} crashed (${how})`;
  // "ConfigError: invalid configuration:" names the variable on the next line
  const error = own[at].trim().endsWith(':') && own[at + 1] ? `${own[at]} ${own[at + 1].trim()}` : own[at];
  return `${name} crashed (${how}): ${clip(error, 300)}`;
}

/** GET/POST on the emulator's control API (the phone's side of WhatsApp). */
async function control(state, method, path, body) {
  const res = await fetch(`${state.emulator.control}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const answer = await res.json();
  if (!res.ok) throw new DemoError(`emulator ${method} /control${path} answered ${res.status}: ${answer.message}`);
  return answer;
}

/** What the emulator's phone received from the linked account so far. */
const outbound = async (state) => (await control(state, 'GET', `/outbound?phone=${state.phone}`)).messages;

/** A contact's message to the linked number, injected on the emulator; resolves with its WhatsApp message id. */
async function contactWrites(state, text) {
  const { id } = await control(state, 'POST', '/inbound', { to: state.phone, from: state.contact, type: 'text', text });
  return id;
}

/** Whether a `message` event body (webhook or stream payload) is the WhatsApp message `id`. */
const isMessage = (payload, id) => typeof payload?.id === 'string' && payload.id.endsWith(`_${id}`);

export function buildSteps(state) {
  const { demo } = state;
  let api;

  return [
    {
      title: 'Check RabbitMQ, PostgreSQL and Redis, and create the demo database',
      async run() {
        await prepareServers(demo);
        state.databaseCreated = true;
        detail(`RabbitMQ   ${shown(demo.rabbitmqUrl)}  (namespace ${demo.namespace})`);
        detail(`PostgreSQL ${shown(demo.databaseUrl)}`);
        detail(`Redis      ${shown(demo.redisUrl)}  (prefix ${demo.redisPrefix})`);
        return `all three answer; database ${demo.database} created`;
      },
    },
    {
      title: 'Start the WhatsApp emulator (an offline WhatsApp Web server and the phone)',
      async run() {
        const { child, ready } = startEmulator(await freePort());
        state.emulator = { child };
        Object.assign(state.emulator, await ready);
        state.emulatorPort = Number(new URL(state.emulator.control).port);
        detail(
          `WebSocket ${state.emulator.url}, control API ${state.emulator.control} (pid ${state.emulator.child.process.pid})`,
        );
        return `listening on port ${state.emulatorPort}`;
      },
    },
    {
      title: 'Start the six services (billing self-hosted: no Stripe) and wait until they are healthy',
      async run() {
        state.gatewayPort = await freePort();
        state.apiUrl = `http://127.0.0.1:${state.gatewayPort}`;
        state.services = startServices({
          PORT: String(state.gatewayPort),
          PUBLIC_API_URL: state.apiUrl,
          RABBITMQ_URL: demo.rabbitmqUrl,
          DATABASE_URL: demo.databaseUrl,
          REDIS_URL: demo.redisUrl,
          BROKER_NAMESPACE: demo.namespace,
          REDIS_PREFIX: demo.redisPrefix,
          LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
          WAHOOKS_SERVICES: '', // all of them
          // the emulator instead of WhatsApp; its root key is trusted only through this test/demo setting
          WA_WEBSOCKET_URL: state.emulator.url,
          WA_SERVER_ROOT_KEY: state.emulator.rootKey,
          WA_LOG_LEVEL: 'silent',
          // the demo's receiver listens on loopback, which webhooks refuse unless allow-listed
          WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          // the demo is its own identity provider: HS256 JWTs signed with this run's secret
          SUPABASE_JWT_SECRET: state.jwtSecret,
          SUPABASE_URL: '',
          SUPABASE_JWKS_URL: '',
          // self-hosted billing: the billing service runs and gates creates, nothing calls Stripe
          STRIPE_SECRET_KEY: '',
          BILLING_GATE: 'on',
          RATE_LIMIT_PER_MINUTE: '10000',
          // no internal /metrics ports (9101–9106): they would collide with an `npm start` on this machine
          METRICS_PORT: 'off',
        });
        api = apiClient(state.apiUrl);
        const started = Date.now();
        let lastNote = 0;
        let stillWaiting = [];
        const report = await waitUntil(
          'GET /api/health to report every service ok',
          async () => {
            if (!state.services.running) {
              throw new DemoError(`the service supervisor exited (${state.services.exitedWith})`);
            }
            // On a fresh database and namespace a crash at start is a real problem (scripts/start.mjs would keep
            // restarting it): fail at once with the service's own error.
            const crash = crashReport(state.services.lines);
            if (crash) throw new DemoError(crash, 'the lines of the services below show more');
            const res = await api.call('GET', '/api/health').catch(() => undefined);
            const services = res?.body?.checks?.services ?? {};
            const waiting = res
              ? PINGED_SERVICES.filter((s) => services[s]?.status !== 'ok')
              : ['gateway (not listening yet)'];
            stillWaiting = waiting;
            if (res?.status === 200 && waiting.length === 0) return res.body;
            if (Date.now() - lastNote > 3000) {
              lastNote = Date.now();
              note(
                `waiting for ${waiting.join(', ') || 'the health check'} (${Math.round((Date.now() - started) / 1000)} s)`,
              );
            }
            return undefined;
          },
          { timeoutMs: 120_000, everyMs: 500 },
        ).catch((err) => {
          if (!err.message.startsWith('timed out')) throw err;
          throw new DemoError(`${err.message} (still waiting for ${stillWaiting.join(', ') || 'the health check'})`);
        });
        const pids = [...state.services.pids].map(([name, pid]) => `${name} ${pid}`).join(', ');
        detail(`gateway ${state.apiUrl}; pids: supervisor ${state.services.process.pid}, ${pids}`);
        const checks = report.checks;
        return `broker ${checks.broker.status}, database ${checks.database.status}, redis ${checks.redis.status}, gateway and ${PINGED_SERVICES.length} services ok`;
      },
    },
    {
      title: 'Mint an API token (sign in with a JWT, then POST /api/tokens)',
      async run() {
        const jwt = signHs256(state.jwtSecret, state.userId, `demo-${state.userId.slice(0, 8)}@example.test`);
        detail(`signed an HS256 JWT for user ${state.userId} with this run's SUPABASE_JWT_SECRET`);
        const created = await api.request('POST', '/api/tokens', { name: 'demo' }, { auth: jwt });
        state.token = created.body.token;
        api.setToken(state.token);
        const listed = await api.request('GET', '/api/tokens');
        if (!listed.body.some((t) => t.id === created.body.id)) throw new DemoError('the new token is not listed');
        detail(`POST /api/tokens → 201 ${created.body.tokenPrefix} (id ${created.body.id})`);
        detail(`GET /api/tokens with it → ${listed.body.length} token(s)`);
        const billing = await api.request('GET', '/api/billing/status');
        const available = billing.body.slots?.available;
        detail(
          `GET /api/billing/status → enabled ${billing.body.enabled} (self-hosted: no Stripe), ` +
            `connection slots available: ${available ?? 'no slot limit'}`,
        );
        return `${created.body.tokenPrefix} works`;
      },
    },
    {
      title: 'Get or create a connection and show its QR code',
      async run() {
        const res = await api.request('POST', '/api/connections/get-or-create', undefined, { waitMs: 60_000 });
        state.connectionId = res.body.id;
        detail(`POST /api/connections/get-or-create → ${res.body.id} (${res.body.status})`);
        let png = res.body.qr;
        if (!png) {
          note('no QR yet: polling GET /api/connections/:id/qr');
          png = (await api.request('GET', `/api/connections/${state.connectionId}/qr`, undefined, { waitMs: 60_000 }))
            .body.value;
        }
        if (!png) throw new DemoError('the API gave no QR for the new connection');
        state.qr = decodeQrPng(png);
        if (!state.qr) throw new DemoError('the QR PNG from the API did not decode');
        detail(renderQrForTerminal(state.qr));
        return `QR ready (${state.qr.length} characters, from a ${Buffer.from(png, 'base64').length} byte PNG)`;
      },
    },
    {
      title: "Scan it with the emulator's phone and wait until the connection is linked",
      async run() {
        const scanned = await control(state, 'POST', '/scan', { qr: state.qr });
        state.phone = scanned.phone;
        detail(`the phone ${scanned.phone} scanned the QR; the client restarts and logs in`);
        const connection = await waitUntil(
          'the connection to be connected',
          async () => {
            const res = await api.call('GET', `/api/connections/${state.connectionId}`);
            return res.status === 200 && res.body.status === 'connected' ? res.body : undefined;
          },
          { timeoutMs: 60_000, everyMs: 500 },
        );
        const me = await api.request('GET', `/api/connections/${state.connectionId}/me`);
        if (!me.body?.id) throw new DemoError('GET /me shows no linked account');
        return `connected as ${me.body.id} (phoneNumber ${connection.phoneNumber ?? 'n/a'})`;
      },
    },
    {
      title: 'Start a webhook receiver on 127.0.0.1 and register it for every event',
      async run() {
        state.receiver = await startReceiver();
        const res = await api.request('POST', `/api/connections/${state.connectionId}/webhooks`, {
          url: state.receiver.url,
          events: ['*'],
        });
        state.webhookId = res.body.id;
        state.receiver.setSecret(res.body.signingSecret);
        detail(
          `POST /api/connections/:id/webhooks → webhook ${res.body.id}, signingSecret ${res.body.signingSecret.slice(0, 8)}…`,
        );
        return `receiver ${state.receiver.url}`;
      },
    },
    {
      title: 'A contact writes to the number: the signed webhook arrives and verifies',
      async run() {
        const text = 'Hello from the emulator contact!';
        const messageId = await contactWrites(state, text);
        detail(`emulator: ${state.contact} → ${state.phone}: "${text}" (message ${messageId})`);
        const delivery = await state.receiver.waitFor(
          (d) => d.body?.event === 'message' && isMessage(d.body.payload, messageId),
          30_000,
        );
        if (!delivery) throw new DemoError(`no message webhook for ${messageId} within 30 s`);
        state.lastEventId = delivery.headers['webhook-id'];
        const h = delivery.headers;
        detail(`POST ${delivery.path}  X-WAHooks-Event: ${h['x-wahooks-event']}  webhook-id: ${h['webhook-id']}`);
        detail(
          `X-WAHooks-Signature: ${clip(String(h['x-wahooks-signature']), 40)}  webhook-signature: ${clip(String(h['webhook-signature']), 30)}`,
        );
        detail(`body: ${clip(delivery.rawBody)}`);
        const verified = state.receiver.verify(delivery);
        detail(`Standard Webhooks (standardwebhooks library): ${verified.standardWebhooks ? 'valid' : 'INVALID'}`);
        detail(`X-WAHooks-Signature (HMAC-SHA256 recipe):     ${verified.wahooks ? 'valid' : 'INVALID'}`);
        if (!verified.standardWebhooks || !verified.wahooks) throw new DemoError('a webhook signature did not verify');
        if (delivery.body.payload.body !== text)
          throw new DemoError(`the webhook body says "${delivery.body.payload.body}"`);
        return 'both signatures valid';
      },
    },
    {
      title: "Send a text through the REST API and see it on the contact's phone",
      async run() {
        const text = 'Hi! This reply went out through POST /api/connections/:id/send';
        const sent = await api.request('POST', `/api/connections/${state.connectionId}/send`, {
          chatId: `${state.contact}@c.us`,
          text,
        });
        detail(`POST /send → 201 ${sent.body.id} (${sent.body.status})`);
        const got = await waitUntil(
          'the emulator to receive the text',
          async () => (await outbound(state)).find((m) => m.type === 'text' && m.text === text),
          { timeoutMs: 20_000 },
        );
        detail(`emulator: ${got.from} → ${got.to}: ${got.type} "${got.text}" (${got.status})`);
        return 'the phone got it';
      },
    },
    {
      title: "Send an image through the REST API and see it on the contact's phone",
      async run() {
        const image = await demoImagePng('WAHooks demo image');
        const caption = 'An image from the demo';
        const sent = await api.request('POST', `/api/connections/${state.connectionId}/send-image`, {
          chatId: `${state.contact}@c.us`,
          data: image.toString('base64'),
          mimetype: 'image/png',
          caption,
        });
        detail(`POST /send-image (${image.length} byte PNG) → 201 ${sent.body.id}`);
        const got = await waitUntil(
          'the emulator to receive the image',
          async () => (await outbound(state)).find((m) => m.type === 'image' && m.caption === caption),
          { timeoutMs: 30_000 },
        );
        const bytes = Buffer.from(got.media ?? '', 'base64');
        detail(`emulator: ${got.type} ${got.mimetype}, ${bytes.length} bytes decrypted, caption "${got.caption}"`);
        if (!bytes.equals(image)) throw new DemoError('the image the phone decrypted differs from the one sent');
        return 'the phone decrypted the same bytes';
      },
    },
    {
      title: 'Stream an event over the /api/ws WebSocket',
      async run() {
        const query = new URLSearchParams({ token: state.token, connectionId: state.connectionId, events: 'message' });
        // Resuming after the webhook's event makes the next message certain to arrive, however soon it is sent.
        if (state.lastEventId) query.set('after', state.lastEventId);
        const url = `ws://127.0.0.1:${state.gatewayPort}/api/ws?${query}`;
        detail(
          `connecting to ws://127.0.0.1:${state.gatewayPort}/api/ws?connectionId=…&events=message&after=<last event>`,
        );
        const socket = new WebSocket(url);
        state.socket = socket;
        const frames = [];
        const closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve(`${code} ${reason}`)));
        socket.on('message', (data) => frames.push(JSON.parse(String(data))));
        await Promise.race([
          new Promise((resolve, reject) => {
            socket.once('open', resolve);
            socket.once('error', reject);
          }),
          closed.then((why) => Promise.reject(new DemoError(`the socket closed: ${why}`))),
        ]);
        await sleep(200);
        const text = 'A second message, for the stream';
        const messageId = await contactWrites(state, text);
        detail(`emulator: ${state.contact} → ${state.phone}: "${text}" (message ${messageId})`);
        const frame = await Promise.race([
          waitUntil('the event on the socket', async () => frames.find((f) => isMessage(f.payload, messageId)), {
            timeoutMs: 30_000,
            everyMs: 100,
          }),
          closed.then((why) => Promise.reject(new DemoError(`the socket closed: ${why}`))),
        ]);
        detail(
          `frame: ${clip(JSON.stringify({ ...frame, payload: { id: frame.payload.id, body: frame.payload.body } }))}`,
        );
        socket.close(1000);
        state.socket = undefined;
        return `${frame.event} ${frame.id} received`;
      },
    },
    {
      title: 'Read the delivery logs (GET /api/webhooks/:id/logs)',
      async run() {
        // the stream's message is delivered to the webhook too; wait until it is logged as delivered
        const logs = await waitUntil(
          'every delivery to be logged as delivered',
          async () => {
            const res = await api.request('GET', `/api/webhooks/${state.webhookId}/logs?limit=100`);
            const messages = res.body.filter((l) => l.eventType === 'message');
            const settled = messages.length >= 2 && res.body.every((l) => l.status !== 'pending');
            return settled ? res.body : undefined;
          },
          { timeoutMs: 30_000, everyMs: 500 },
        );
        for (const log of logs) {
          const last = log.attemptLog?.at(-1);
          detail(
            `${log.eventType.padEnd(16)} ${log.status.padEnd(9)} attempts ${log.attempts}` +
              (last ? `  last: HTTP ${last.statusCode ?? '-'} in ${last.durationMs} ms` : '') +
              `  ${log.eventId}`,
          );
        }
        const failed = logs.filter((l) => l.status !== 'delivered');
        if (failed.length > 0) throw new DemoError(`${failed.length} deliveries are not delivered`);
        return `${logs.length} deliveries, all delivered`;
      },
    },
  ];
}
