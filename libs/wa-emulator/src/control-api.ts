import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator } from './emulator.js';
import { EmulatorInputError } from './errors.js';
import type { OutboundRecord } from './outbound-record.js';

const MAX_BODY_BYTES = 80 * 1024 * 1024; // inbound media arrives as base64 JSON

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
};

function send(res: ServerResponse, statusCode: number, body: unknown): void {
  const json = JSON.stringify(body);
  res
    .writeHead(statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) })
    .end(json);
}

function sendError(res: ServerResponse, statusCode: number, message: string): void {
  send(res, statusCode, { statusCode, error: REASONS[statusCode] ?? 'Error', message });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new EmulatorInputError('body too large', 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new EmulatorInputError('body must be a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new EmulatorInputError('body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new EmulatorInputError('body must be a JSON object');
  return body as Record<string, unknown>;
}

/** JSON view of a record: media bytes as base64. */
export function outboundToJson(record: OutboundRecord): Record<string, unknown> {
  const { media, ...rest } = record;
  return { ...rest, ...(media ? { media: media.toString('base64') } : {}) };
}

type Route = (emulator: Emulator, req: IncomingMessage, url: URL) => Promise<unknown>;

const routes: Record<string, Route> = {
  'GET /control/root-key': async (emulator) => ({ rootKey: emulator.rootPublicKey }),
  'GET /control/accounts': async (emulator) => ({ accounts: emulator.accounts() }),
  'GET /control/stats': async (emulator) => emulator.statsSnapshot(),
  'GET /control/sockets': async (emulator, _req, url) => {
    const phone = url.searchParams.get('phone');
    if (!phone) throw new EmulatorInputError('query parameter phone is required');
    return emulator.socketCount(phone);
  },
  'POST /control/scan': async (emulator, req) => {
    const body = await readJson(req);
    if (typeof body.qr !== 'string' || !body.qr)
      throw new EmulatorInputError('qr (the QR string the client shows) is required');
    if (body.phone !== undefined && typeof body.phone !== 'string')
      throw new EmulatorInputError('phone must be a string of digits');
    const { phone, jid } = await emulator.scan(body.qr, { phone: body.phone as string | undefined });
    return { phone, jid };
  },
  'POST /control/pair-code': async (emulator, req) => {
    const body = await readJson(req);
    if (typeof body.code !== 'string' || !body.code)
      throw new EmulatorInputError('code (the pairing code the client shows) is required');
    const { phone, jid } = await emulator.enterPairingCode(body as never);
    return { phone, jid };
  },
  'POST /control/group': async (emulator, req) => emulator.createGroup((await readJson(req)) as never),
  'POST /control/poll-vote': async (emulator, req) => emulator.pollVote((await readJson(req)) as never),
  'POST /control/group-action': async (emulator, req) => emulator.groupAction((await readJson(req)) as never),
  'GET /control/group': async (emulator, _req, url) => {
    const jid = url.searchParams.get('jid');
    if (!jid) throw new EmulatorInputError('query parameter jid is required');
    return emulator.groupInfo(jid);
  },
  'POST /control/label': async (emulator, req) => emulator.labelEdit((await readJson(req)) as never),
  'POST /control/label-delete': async (emulator, req) => emulator.labelDelete((await readJson(req)) as never),
  'POST /control/label-chat': async (emulator, req) => emulator.labelChat((await readJson(req)) as never),
  'POST /control/app-state-keys': async (emulator, req) => emulator.shareAppStateKeys((await readJson(req)) as never),
  'GET /control/labels': async (emulator, _req, url) => {
    const phone = url.searchParams.get('phone');
    if (!phone) throw new EmulatorInputError('query parameter phone is required');
    return emulator.labels(phone);
  },
  'POST /control/on-whatsapp': async (emulator, req) => {
    emulator.setOnWhatsApp((await readJson(req)) as never);
    return { ok: true };
  },
  'GET /control/number-checks': async (emulator) => ({ checks: emulator.numberChecks() }),
  'POST /control/inbound': async (emulator, req) => emulator.inbound(await readJson(req)),
  'GET /control/outbound': async (emulator, _req, url) => {
    const phone = url.searchParams.get('phone');
    if (!phone) throw new EmulatorInputError('query parameter phone is required');
    return { messages: emulator.outbound(phone).map(outboundToJson) };
  },
  'GET /control/signals': async (emulator, _req, url) => {
    const phone = url.searchParams.get('phone');
    if (!phone) throw new EmulatorInputError('query parameter phone is required');
    return { signals: emulator.signals(phone) };
  },
  'POST /control/receipt': async (emulator, req) => {
    const body = await readJson(req);
    for (const field of ['phone', 'messageId', 'status']) {
      if (typeof body[field] !== 'string' || !body[field]) throw new EmulatorInputError(`${field} is required`);
    }
    emulator.receipt(body as never);
    return { ok: true };
  },
  'POST /control/forget-session': async (emulator, req) => {
    const body = await readJson(req);
    for (const field of ['phone', 'contact']) {
      if (typeof body[field] !== 'string' || !body[field]) throw new EmulatorInputError(`${field} is required`);
    }
    return emulator.forgetSession(body as never);
  },
  'POST /control/fault': async (emulator, req) => {
    const body = await readJson(req);
    if (body.kind === undefined) throw new EmulatorInputError('kind is required');
    if (body.phone !== undefined && typeof body.phone !== 'string')
      throw new EmulatorInputError('phone must be a string of digits');
    emulator.fault(body as never);
    return { ok: true };
  },
  'POST /control/presence': async (emulator, req) => {
    emulator.presence((await readJson(req)) as never);
    return { ok: true };
  },
  'POST /control/profile': async (emulator, req) => {
    const body = await readJson(req);
    for (const field of ['pushName', 'status']) {
      if (body[field] !== undefined && typeof body[field] !== 'string')
        throw new EmulatorInputError(`${field} must be a string`);
    }
    if (body.pictureUrl !== undefined && body.pictureUrl !== null && typeof body.pictureUrl !== 'string') {
      throw new EmulatorInputError('pictureUrl must be a string or null');
    }
    return emulator.profile(body as never);
  },
};

/** HTTP control API under /control (see README). */
export async function handleControlRequest(
  emulator: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const route = routes[`${req.method} ${url.pathname}`];
  if (!route) {
    const known = Object.keys(routes).some((key) => key.endsWith(` ${url.pathname}`));
    sendError(
      res,
      known ? 405 : 404,
      known ? `${req.method} is not allowed on ${url.pathname}` : `no route ${url.pathname}`,
    );
    return;
  }
  try {
    send(res, 200, await route(emulator, req, url));
  } catch (error) {
    if (error instanceof EmulatorInputError) sendError(res, error.statusCode, error.message);
    else {
      emulator.options.log('control API error', error);
      sendError(res, 500, error instanceof Error ? error.message : 'internal error');
    }
  }
}
