// Runs once per Jest run (per package). Decides where RabbitMQ, Postgres and Redis come from:
//   TEST_SERVICES=env         use RABBITMQ_URL / DATABASE_URL / REDIS_URL (defaults: this machine's local servers)
//   TEST_SERVICES=containers  start them with testcontainers (needs a Docker engine)
//   TEST_SERVICES=auto        (default) use env/local servers when they answer, else try testcontainers
// Values put in process.env here are inherited by the Jest workers.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const defaults = {
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/wahooks_test',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function reachable(url) {
  const u = new URL(url);
  const port = Number(u.port || { 'amqp:': 5672, 'postgres:': 5432, 'redis:': 6379 }[u.protocol]);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port, timeout: 1000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function startContainers() {
  const { getContainerRuntimeClient, GenericContainer, Wait } = await import('testcontainers');
  await getContainerRuntimeClient(); // throws at once when there is no Docker/Podman engine
  const pg = await new GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'wahooks_test' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  // The management image: test clean-up lists a namespace's queues and exchanges over its HTTP API.
  const mq = await new GenericContainer('rabbitmq:3.13-management-alpine').withExposedPorts(5672, 15672).start();
  const redis = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
  process.env.DATABASE_URL = `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/wahooks_test`;
  process.env.RABBITMQ_URL = `amqp://guest:guest@${mq.getHost()}:${mq.getMappedPort(5672)}`;
  process.env.RABBITMQ_MANAGEMENT_URL = `http://guest:guest@${mq.getHost()}:${mq.getMappedPort(15672)}`;
  process.env.REDIS_URL = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
  globalThis.__TEST_CONTAINERS__ = [pg, mq, redis];
}

export default async function globalSetup() {
  // createTestEnv appends each namespace here; jest.global-teardown.js deletes what a test file left behind. A file
  // given by the caller (bench/soak.mjs collects every namespace of its steps) is used and kept.
  if (!process.env.WAHOOKS_TEST_NAMESPACES_FILE) {
    process.env.WAHOOKS_TEST_NAMESPACES_FILE = path.join(
      os.tmpdir(),
      `wahooks-test-namespaces-${process.pid}-${Date.now()}`,
    );
    process.env.WAHOOKS_TEST_NAMESPACES_FILE_OWNED = '1';
  }
  const mode = process.env.TEST_SERVICES ?? 'auto';
  if (mode === 'containers') return startContainers();
  for (const [k, v] of Object.entries(defaults)) process.env[k] ??= v;
  const down = [];
  for (const k of Object.keys(defaults)) if (!(await reachable(process.env[k]))) down.push(k);
  if (down.length === 0) return;
  if (mode === 'auto') {
    try {
      return await startContainers();
    } catch (err) {
      console.warn(`[test-setup] testcontainers unavailable (${err.message})`);
    }
  }
  console.warn(`[test-setup] not reachable: ${down.map((k) => `${k}=${process.env[k]}`).join(', ')}`);
}
