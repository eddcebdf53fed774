/**
 * The mixed load of the scaling test, running until stopped: API reads on every gateway (token, connection and
 * billing commands behind them), texts from a contact to every linked session (injected at the emulator, so they
 * become webhook deliveries), and sends through the REST API, one at a time per session, each with its own
 * Idempotency-Key and retried with that key after a 503/504/429 until it is accepted (services/messaging README,
 * "Idempotency"). Everything sent is recorded so the test can check what arrived.
 */
import type { Emulator } from '@wahooks/wa-emulator';
import type { Answer, GatewayPool } from './gateway-pool.js';

export interface LinkedSession {
  connectionId: string;
  phone: string; // the linked account's number at the emulator
}

export interface SendRecord {
  session: number; // index into the sessions
  text: string;
  key: string; // Idempotency-Key
  attempts: Answer[];
  /** The 201, once there is one. */
  accepted?: Answer;
  /** An answer that is neither a success nor documented as retryable: the send was refused. */
  refused?: Answer;
}

export interface Load {
  /** WhatsApp message ids of the texts injected, per session index. */
  inbound: string[][];
  /** When each inbound text was injected (Date.now()), by its message id. */
  inboundAt: Map<string, number>;
  sends: SendRecord[];
  /** Holds new inbound texts while set (see the test: the connection service's documented crash window). */
  holdInbound(on: boolean): void;
  /** Starts nothing new; resolves when every send started was accepted, refused or given up after `sendMs`. */
  stop(): Promise<void>;
}

export interface LoadOptions {
  pool: GatewayPool;
  emulator: Emulator;
  sessions: LinkedSession[];
  /** The contact the texts come from and the sends go to (a phone known to the emulator). */
  contact: string;
  jwt: string;
  apiToken: string;
  /** Gap between API rounds, between inbound texts of one session, between sends of one session (ms). */
  apiEveryMs?: number;
  inboundEveryMs?: number;
  sendEveryMs?: number;
  /** How long one send is retried before the test gives up on it (ms). */
  sendMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Statuses after which the same request, with the same Idempotency-Key, is sent again. */
const RETRYABLE = new Set([0, 429, 503, 504]);

export function startLoad(o: LoadOptions): Load {
  let stopping = false;
  let held = false;
  const inbound = o.sessions.map((): string[] => []);
  const inboundAt = new Map<string, number>();
  const sends: SendRecord[] = [];

  const apiLoop = async () => {
    for (let round = 0; !stopping; round++) {
      const s = o.sessions[round % o.sessions.length]!;
      await Promise.all([
        o.pool.call('GET', '/api/me', { token: o.jwt }),
        o.pool.call('GET', '/api/tokens', { token: o.jwt }),
        o.pool.call('GET', '/api/connections', { token: o.apiToken }),
        o.pool.call('GET', `/api/connections/${s.connectionId}`, { token: o.apiToken }),
        o.pool.call('GET', `/api/connections/${s.connectionId}/me`, { token: o.apiToken }),
        // Longer than the gateway's own deadline for billing calls (30 s: they may reach Stripe). Commands are
        // consumed without an ack, so one lost with a SIGKILLed billing replica is answered 503 + Retry-After at
        // that deadline (broker README); a client giving up at the same instant would call that a hang.
        o.pool.call('GET', '/api/billing/status', { token: o.apiToken, timeoutMs: 40_000 }),
        o.pool.call('GET', '/api/billing/usage', { token: o.apiToken }),
      ]);
      await sleep(o.apiEveryMs ?? 400);
    }
  };

  const inboundLoop = async (i: number) => {
    for (let n = 0; !stopping;) {
      if (!held) {
        const text = `in ${i} ${n++}`;
        const at = Date.now();
        const { id } = await o.emulator.inbound({ to: o.sessions[i]!.phone, from: o.contact, type: 'text', text });
        inbound[i]!.push(id);
        inboundAt.set(id, at);
      }
      await sleep(o.inboundEveryMs ?? 700);
    }
  };

  const sendOne = async (record: SendRecord) => {
    const end = Date.now() + (o.sendMs ?? 180_000);
    while (Date.now() < end) {
      const a = await o.pool.call('POST', `/api/connections/${o.sessions[record.session]!.connectionId}/send`, {
        token: o.apiToken,
        body: { chatId: o.contact, text: record.text, skipPresence: true },
        headers: { 'idempotency-key': record.key },
        timeoutMs: 100_000, // longer than the gateway's send deadline (75 s): a 504 comes before this
      });
      record.attempts.push(a);
      if (a.status === 201) return void (record.accepted = a);
      if (!RETRYABLE.has(a.status)) return void (record.refused = a);
      await sleep(Math.min(2000, Math.max(250, Number(a.retryAfter ?? 0) * 1000)));
    }
  };

  const sendLoop = async (i: number) => {
    for (let n = 0; !stopping; n++) {
      const record: SendRecord = { session: i, text: `out ${i} ${n}`, key: `scaling-${i}-${n}`, attempts: [] };
      sends.push(record);
      await sendOne(record);
      await sleep(o.sendEveryMs ?? 1000);
    }
  };

  const loops = [apiLoop(), ...o.sessions.map((_, i) => inboundLoop(i)), ...o.sessions.map((_, i) => sendLoop(i))];
  return {
    inbound,
    inboundAt,
    sends,
    holdInbound(on) {
      held = on;
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
