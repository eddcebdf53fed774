/**
 * An API client over every gateway replica, as a load balancer would use them: calls go round-robin to the
 * gateways that are running and were not told to stop. A call whose gateway the test stopped (refused or reset
 * connection) is sent again to the next gateway, as a balancer retries a dead backend; that is counted. A failure
 * to reach a gateway that should be up is an answer with status 0. Every answer is kept for assertions.
 */
import type { ReplicaSet } from './replicas.js';

export interface Answer {
  gateway: string; // the replica's name
  method: string;
  path: string;
  status: number; // 0: no answer from a gateway that should have answered
  retryAfter: string | null;
  body: any;
  at: number; // Date.now() when it was sent
  /** Times it was sent again because its gateway had been stopped by the test. */
  rerouted: number;
  error?: string;
}

export interface CallOptions {
  token: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface GatewayPool {
  call(method: string, path: string, options: CallOptions): Promise<Answer>;
  /** Every answer so far, oldest first. */
  answers: Answer[];
  /** Answers per gateway replica name. */
  perGateway(): Map<string, number>;
}

export function gatewayPool(replicas: ReplicaSet): GatewayPool {
  const answers: Answer[] = [];
  let next = 0;

  const pick = () => {
    // `url` is set once the replica logged that it listens: one still starting takes no traffic yet.
    const up = replicas.live('gateway').filter((g) => g.url && !g.signalled);
    if (up.length === 0) throw new Error('no gateway is up');
    return up[next++ % up.length]!;
  };

  async function call(method: string, path: string, options: CallOptions): Promise<Answer> {
    const at = Date.now();
    for (let rerouted = 0; ; rerouted++) {
      const gateway = pick();
      try {
        const res = await fetch(`${gateway.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.token}`,
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...options.headers,
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: kept as text for the failure message
        }
        const answer: Answer = {
          gateway: gateway.name,
          method,
          path,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body,
          at,
          rerouted,
        };
        answers.push(answer);
        return answer;
      } catch (err) {
        if (gateway.signalled && rerouted < 5) continue; // the balancer's retry on the next backend
        const answer: Answer = {
          gateway: gateway.name,
          method,
          path,
          status: 0,
          retryAfter: null,
          body: undefined,
          at,
          rerouted,
          error: String((err as Error).cause ?? err),
        };
        answers.push(answer);
        return answer;
      }
    }
  }

  return {
    call,
    answers,
    perGateway() {
      const out = new Map<string, number>();
      for (const a of answers) out.set(a.gateway, (out.get(a.gateway) ?? 0) + 1);
      return out;
    },
  };
}
