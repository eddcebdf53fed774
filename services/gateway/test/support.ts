/** Test helpers: a gateway on a test env, the real token service beside it, HTTP calls, RPCs counted. */
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import type { TestEnv } from '@wahooks/testing';
import type { TestTracing } from '@wahooks/telemetry';
import { gatewayConfig, type GatewayConfig } from '../src/config.js';
import { startGateway, type Gateway } from '../src/service.js';

export { startTokenService, type TokenServiceProcess } from './token-service.js';

export async function startTestGateway(env: TestEnv, extra: Record<string, string> = {}): Promise<Gateway> {
  const config: GatewayConfig = gatewayConfig({ ...env.serviceEnv, PORT: '0', ...extra });
  return startGateway(config);
}

/**
 * How many `command` requests (e.g. 'token.token.verify') this test process has sent so far, its gateways and its
 * own broker clients alike: one producer span each (needs createTestTracing() in the test's beforeAll).
 */
export const requestsSent = (tracing: TestTracing, command: string): number =>
  tracing.spans().filter(
    (s) =>
      s.kind === SpanKind.PRODUCER &&
      s.attributes['messaging.rabbitmq.destination.routing_key'] === command &&
      s.attributes['messaging.message.conversation_id'] !== undefined, // an RPC request, not an event
  ).length;

/** A well-formed `wh_` token that no token service knows. */
export const newToken = () => `wh_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '').slice(0, 16)}`;

export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
