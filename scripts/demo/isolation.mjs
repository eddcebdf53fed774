// The demo's own corner of the local servers: a database, a broker namespace and a Redis key prefix of its own
// (unique per run, so real data and other runs are never touched), free TCP ports, and their removal at the end.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import amqp from 'amqplib';
import pg from 'pg';
import { createClient } from 'redis';
import { deleteNamespace } from '@wahooks/testing';
import { DemoError } from './output.mjs';

const START_HINTS = {
  RabbitMQ: 'start it (e.g. `rabbitmq-server -detached`, or `docker compose up rabbitmq`), or set RABBITMQ_URL',
  PostgreSQL: 'start it (e.g. `docker compose up postgres`), or set DATABASE_URL',
  Redis: 'start it (e.g. `redis-server --daemonize yes`, or `docker compose up redis`), or set REDIS_URL',
};

/** Names and URLs of this run, from the usual variables (their defaults are the services' own). */
export function demoEnvironment(env = process.env) {
  const id = `demo_${randomBytes(4).toString('hex')}`;
  const rabbitmqUrl = env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672';
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const baseDatabase = new URL(env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/wahooks');
  const database = `wahooks_${id}`;
  const databaseUrl = new URL(baseDatabase);
  databaseUrl.pathname = `/${database}`;
  const adminUrl = new URL(baseDatabase);
  adminUrl.pathname = '/postgres';
  return {
    id,
    rabbitmqUrl,
    redisUrl,
    database,
    databaseUrl: databaseUrl.toString(),
    adminDatabaseUrl: adminUrl.toString(),
    namespace: `${id}.`,
    redisPrefix: `${id}:`,
  };
}

/** Where a URL points, without its password. */
export const shown = (url) => {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
};

async function probe(name, url, attempt) {
  try {
    await attempt();
  } catch (err) {
    throw new DemoError(
      `${name} at ${shown(url)} is not reachable: ${err.message || err.code || err}`,
      START_HINTS[name],
    );
  }
}

/** Checks that the three servers answer, and creates the demo's database. */
export async function prepareServers(demo) {
  await probe('RabbitMQ', demo.rabbitmqUrl, async () => {
    const conn = await amqp.connect(demo.rabbitmqUrl, { timeout: 5000 });
    await conn.close();
  });
  await probe('Redis', demo.redisUrl, async () => {
    const client = createClient({ url: demo.redisUrl, socket: { connectTimeout: 5000, reconnectStrategy: false } });
    client.on('error', () => undefined); // reported by connect()
    await client.connect();
    await client.ping();
    await client.quit();
  });
  await probe('PostgreSQL', demo.adminDatabaseUrl, async () => {
    const client = new pg.Client({ connectionString: demo.adminDatabaseUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      // Created here rather than by the services, which would all race to create it at once.
      await client.query(`CREATE DATABASE "${demo.database}"`);
    } finally {
      await client.end();
    }
  });
}

/** Drops the database, the broker namespace and the Redis keys of this run. Returns what could not be removed. */
export async function removeDemoData(demo) {
  const problems = [];
  const attempt = async (what, fn) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${err.message ?? err}`);
    }
  };
  await attempt(`database ${demo.database}`, async () => {
    const client = new pg.Client({ connectionString: demo.adminDatabaseUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${demo.database}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  });
  await attempt(`broker namespace ${demo.namespace}`, () => deleteNamespace(demo.rabbitmqUrl, demo.namespace));
  await attempt(`Redis keys ${demo.redisPrefix}*`, async () => {
    const client = createClient({ url: demo.redisUrl, socket: { connectTimeout: 5000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      for await (const keys of client.scanIterator({ MATCH: `${demo.redisPrefix}*`, COUNT: 500 })) {
        const batch = Array.isArray(keys) ? keys : [keys]; // node-redis 5 yields pages, 4 single keys
        if (batch.length > 0) await client.del(batch);
      }
    } finally {
      await client.quit();
    }
  });
  return problems;
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
