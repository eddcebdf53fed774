// docker-compose.yml and infra/swarm/*.yml without a Docker engine: Compose Specification schema, every service,
// every variable the services read, no published data-plane port, no default password, Docker secrets wired.
// `node --test scripts/test/deploy-files.test.mjs` (needs `npm run build`: the services' config schemas are read
// from their dist/). Uses `docker compose config` / `docker stack config` too when a docker client has them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import {
  composeFile,
  composeSchemaErrors,
  durationMs,
  environmentOf,
  interpolate,
  loadComposeFile,
  MissingVariableError,
  publishedPorts,
  repoRoot,
  requiredVariables,
  serviceFolders,
  stackDir,
  stackFile,
} from './support/compose-files.mjs';

/** Each service's Prometheus port (METRICS_PORT), internal only. */
const METRICS_PORTS = {
  gateway: 9101,
  token: 9102,
  connection: 9103,
  messaging: 9104,
  'webhook-delivery': 9105,
  billing: 9106,
};
/** Ports that carry data or internals: never published, not even on 127.0.0.1. */
const DATA_PLANE_PORTS = new Set([5672, 5432, 6379, 4317, 4318, 15692, ...Object.values(METRICS_PORTS)]);
/** Dashboards that compose may publish, on 127.0.0.1 only: Grafana, Jaeger UI, Prometheus, RabbitMQ management. */
const LOOPBACK_DASHBOARDS = { grafana: 3000, jaeger: 16686, prometheus: 9090, rabbitmq: 15672 };
/** Variables a service reads that a deployment must never set. */
const NEVER_SET = {
  WA_SERVER_ROOT_KEY: 'test only: replaces WhatsApp root of trust, refused with NODE_ENV=production',
};
/** Variables the deployment sets that are not in a service's config schema: read by the image or libs. */
const INFRA_VARIABLES = new Set([
  'OTEL_EXPORTER_OTLP_ENDPOINT', // @wahooks/telemetry
  'HEALTHCHECK_URL', // infra/docker/healthcheck.mjs
  'METRICS_PORT', // the metrics endpoint
  'RABBITMQ_PASSWORD', // infra/docker/env-from-secrets.mjs puts these into the URLs
  'DATABASE_PASSWORD',
  'REDIS_PASSWORD',
  'RABBITMQ_PASSWORD_FILE',
  'DATABASE_PASSWORD_FILE',
  'REDIS_PASSWORD_FILE',
  'STRIPE_SECRET_KEY_FILE',
  'STRIPE_WEBHOOK_SECRET_FILE',
  'SUPABASE_JWT_SECRET_FILE',
]);
/** Schema of each service with state in Postgres: its role is wahooks_<schema>. */
const DB_SCHEMAS = {
  token: 'token',
  connection: 'connection',
  messaging: 'messaging',
  'webhook-delivery': 'webhook_delivery',
  billing: 'billing',
};

const stackOverlays = ['stripe.yml', 'supabase-hs256.yml'].map((name) => path.join(stackDir, name));

/** A value for every variable the files require, as an operator's .env or shell would give. */
function sampleEnv(files) {
  const env = {};
  for (const file of files) for (const name of requiredVariables(file)) env[name] = `sample-${name.toLowerCase()}`;
  env.PUBLIC_API_URL = 'https://api.example.com';
  env.TAG = '1.2.3';
  env.FRONTEND_URL = 'https://app.example.com';
  return env;
}
const composeEnv = sampleEnv([composeFile]);
const stackEnv = sampleEnv([stackFile, ...stackOverlays]);
const compose = loadComposeFile(composeFile, composeEnv);
const stack = loadComposeFile(stackFile, stackEnv);
const overlays = stackOverlays.map((file) => ({ file, doc: loadComposeFile(file, stackEnv) }));

/** The keys of the zod object a service's dist/config.js exports: every variable it reads. */
async function variablesRead(service) {
  const configJs = path.join(repoRoot, 'services', service, 'dist', 'config.js');
  assert.ok(existsSync(configJs), `${configJs} is missing: run npm run build first`);
  const mod = await import(pathToFileURL(configJs).href);
  const schemas = Object.values(mod).filter((v) => v && typeof v === 'object' && v.shape && 'NODE_ENV' in v.shape);
  assert.equal(schemas.length, 1, `services/${service}/dist/config.js should export one environment schema`);
  return Object.keys(schemas[0].shape);
}

function dockerHas(args) {
  const probe = spawnSync('docker', args, { encoding: 'utf8' });
  return probe.status === 0;
}

test('both files match the Compose Specification schema', () => {
  assert.deepEqual(composeSchemaErrors(compose), [], 'docker-compose.yml');
  assert.deepEqual(composeSchemaErrors(stack), [], 'infra/swarm/stack.yml');
  for (const { file, doc } of overlays) assert.deepEqual(composeSchemaErrors(doc), [], file);
});

test('the schema check can fail: a misspelt key is reported', () => {
  const broken = structuredClone(compose);
  broken.services.gateway.restrat = 'always';
  assert.notDeepEqual(composeSchemaErrors(broken), []);
});

test('docker stack config accepts the stack and its overlays (when the docker client is installed)', (t) => {
  if (!dockerHas(['stack', 'config', '--help'])) return t.skip('no docker client with `stack config`');
  const args = ['stack', 'config', '-c', stackFile, ...stackOverlays.flatMap((f) => ['-c', f])];
  const run = spawnSync('docker', args, { cwd: repoRoot, env: { ...process.env, ...stackEnv }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('docker compose config accepts docker-compose.yml (when the compose plugin is installed)', (t) => {
  if (!dockerHas(['compose', 'version'])) return t.skip('no docker compose plugin');
  const run = spawnSync('docker', ['compose', '-f', composeFile, 'config', '-q'], {
    cwd: repoRoot,
    env: { ...process.env, ...composeEnv },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
});

test('the metrics ports are the ones the services default to (@wahooks/config)', async () => {
  const configJs = path.join(repoRoot, 'libs', 'config', 'dist', 'index.js');
  const { DEFAULT_METRICS_PORTS } = await import(pathToFileURL(configJs).href);
  assert.deepEqual({ ...DEFAULT_METRICS_PORTS }, METRICS_PORTS);
});

test('every folder under services/ runs in both files, built or pulled as its own image', () => {
  for (const name of serviceFolders()) {
    const c = compose.services[name];
    assert.ok(c, `docker-compose.yml has no service ${name}`);
    assert.equal(c.build?.args?.SERVICE, name, `compose ${name}: build arg SERVICE`);
    assert.equal(c.build?.dockerfile, 'infra/docker/Dockerfile');
    assert.equal(c.profiles, undefined, `compose ${name} must start by default (no profile)`);
    const s = stack.services[name];
    assert.ok(s, `stack.yml has no service ${name}`);
    assert.match(s.image, new RegExp(`/wahooks-${name}:1\\.2\\.3$`), `stack ${name}: image`);
  }
});

test('every variable a service reads is set in both files, and nothing it does not read', async () => {
  for (const name of serviceFolders()) {
    const reads = await variablesRead(name);
    for (const [label, doc] of [
      ['docker-compose.yml', compose],
      ['stack.yml', stack],
    ]) {
      const env = environmentOf(doc.services[name]);
      const missing = reads.filter((v) => !(v in env) && !(v in NEVER_SET));
      assert.deepEqual(missing, [], `${label} ${name}: not set`);
      const forbidden = Object.keys(env).filter((v) => v in NEVER_SET);
      assert.deepEqual(forbidden, [], `${label} ${name}: must not be set`);
      const unknown = Object.keys(env).filter((v) => !reads.includes(v) && !INFRA_VARIABLES.has(v));
      assert.deepEqual(unknown, [], `${label} ${name}: set but read by nobody (a typo?)`);
      assert.equal(env.NODE_ENV, 'production', `${label} ${name}: NODE_ENV`);
      assert.equal(String(env.METRICS_PORT), String(METRICS_PORTS[name]), `${label} ${name}: METRICS_PORT`);
      assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector:4318', `${label} ${name}: OTLP`);
      const health =
        name === 'gateway' ? `http://127.0.0.1:${env.PORT}/api` : `http://127.0.0.1:${env.METRICS_PORT}/metrics`;
      assert.equal(env.HEALTHCHECK_URL, health, `${label} ${name}: HEALTHCHECK_URL`);
    }
  }
});

test('each service with state logs in to Postgres as its own role; the gateway gets no database', () => {
  for (const [label, doc] of [
    ['docker-compose.yml', compose],
    ['stack.yml', stack],
  ]) {
    const gw = environmentOf(doc.services.gateway);
    for (const v of ['DATABASE_URL', 'DATABASE_PASSWORD', 'DATABASE_PASSWORD_FILE'])
      assert.ok(!(v in gw), `${label} gateway must not get ${v}`);
    for (const [name, schema] of Object.entries(DB_SCHEMAS)) {
      const env = environmentOf(doc.services[name]);
      const url = new URL(env.DATABASE_URL);
      assert.equal(url.username, `wahooks_${schema}`, `${label} ${name}: database role`);
      assert.equal(url.password, '', `${label} ${name}: the password comes separately, never in the URL`);
      assert.ok(env.DATABASE_PASSWORD || env.DATABASE_PASSWORD_FILE, `${label} ${name}: database password`);
    }
    // The role names the init script creates are the ones the services log in as.
    const init = readFileSync(path.join(repoRoot, 'infra', 'postgres', 'init', '10-wahooks.sh'), 'utf8');
    for (const schema of Object.values(DB_SCHEMAS)) assert.match(init, new RegExp(`role_sql ${schema} `));
  }
  // Every password the init script needs reaches the postgres container.
  const needed = [
    ...readFileSync(path.join(repoRoot, 'infra', 'postgres', 'init', '10-wahooks.sh'), 'utf8').matchAll(
      /\$\(secret ([A-Z_]+)\)/g,
    ),
  ].map((m) => m[1]);
  assert.equal(needed.length, 5);
  for (const v of needed) {
    assert.ok(environmentOf(compose.services.postgres)[v], `compose postgres: ${v}`);
    assert.ok(environmentOf(stack.services.postgres)[`${v}_FILE`], `stack postgres: ${v}_FILE`);
  }
});

test('compose publishes only the gateway, plus dashboards on 127.0.0.1; no data-plane port', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of publishedPorts(service)) {
      assert.ok(!DATA_PLANE_PORTS.has(port.target), `${name} publishes data-plane port ${port.target}`);
      if (name === 'gateway') {
        assert.equal(port.target, 3000);
        continue;
      }
      assert.equal(LOOPBACK_DASHBOARDS[name], port.target, `${name} may not publish ${port.target}`);
      assert.equal(port.hostIp, '127.0.0.1', `${name}:${port.target} must be bound to 127.0.0.1`);
    }
  }
  assert.equal(publishedPorts(compose.services.gateway).length, 1);
});

test('the port check can fail: a published Redis or a metrics port on all interfaces is caught', () => {
  const isAllowed = (name, service) =>
    publishedPorts(service).every(
      (p) =>
        !DATA_PLANE_PORTS.has(p.target) &&
        (name === 'gateway' || (LOOPBACK_DASHBOARDS[name] === p.target && p.hostIp === '127.0.0.1')),
    );
  assert.equal(isAllowed('redis', { ports: ['6379:6379'] }), false);
  assert.equal(isAllowed('redis', { ports: ['127.0.0.1:6379:6379'] }), false);
  assert.equal(isAllowed('token', { ports: [{ target: 9102, published: 9102 }] }), false);
  assert.equal(isAllowed('grafana', { ports: ['3001:3000'] }), false);
  assert.equal(isAllowed('grafana', { ports: ['127.0.0.1:3001:3000'] }), true);
});

test('the stack publishes the gateway only', () => {
  for (const doc of [stack, ...overlays.map((o) => o.doc)]) {
    for (const [name, service] of Object.entries(doc.services ?? {})) {
      const ports = publishedPorts(service);
      if (name === 'gateway' && doc === stack)
        assert.deepEqual(
          ports.map((p) => p.target),
          [3000],
        );
      else assert.deepEqual(ports, [], `${name} must not publish a port in the stack`);
    }
  }
});

test('workers scale: no container_name and no host port', () => {
  for (const name of serviceFolders().filter((n) => n !== 'gateway')) {
    assert.equal(compose.services[name].container_name, undefined, name);
    assert.deepEqual(publishedPorts(compose.services[name]), [], name);
  }
  for (const service of Object.values(compose.services)) assert.equal(service.container_name, undefined);
});

test('no password has a default: every one is required, and an unset one stops Docker naming it', () => {
  for (const file of [composeFile, stackFile, ...stackOverlays]) {
    const text = readFileSync(file, 'utf8');
    const defaulted = [...text.matchAll(/\$\{([A-Z_]*(PASSWORD|PASS|SECRET|_KEY)[A-Z_]*):?-([^}]+)\}/g)];
    assert.deepEqual(
      defaulted.map((m) => m[0]),
      [],
      `${path.relative(repoRoot, file)}: secrets with a default value`,
    );
  }
  const required = requiredVariables(composeFile);
  for (const v of [
    'POSTGRES_PASSWORD',
    'RABBITMQ_PASSWORD',
    'REDIS_PASSWORD',
    'GRAFANA_ADMIN_PASSWORD',
    ...Object.values(DB_SCHEMAS).map((s) => `${s.toUpperCase()}_DB_PASSWORD`),
  ]) {
    assert.ok(required.includes(v), `docker-compose.yml must require ${v}`);
    const { [v]: _dropped, ...without } = composeEnv;
    assert.throws(
      () => loadComposeFile(composeFile, without),
      (err) => err instanceof MissingVariableError && err.message.includes(v),
    );
    assert.throws(() => loadComposeFile(composeFile, { ...without, [v]: '' }), MissingVariableError, `${v}=''`);
  }
  for (const v of ['TAG', 'PUBLIC_API_URL']) {
    const { [v]: _dropped, ...without } = stackEnv;
    assert.throws(
      () => loadComposeFile(stackFile, without),
      (err) => err.message.includes(v),
    );
  }
});

test('Redis requires a password; RabbitMQ and Postgres get theirs from the required variables or secrets', () => {
  const redis = compose.services.redis;
  assert.match(redis.command.join(' '), /--requirepass "\$REDISCLI_AUTH"/);
  assert.equal(redis.environment.REDISCLI_AUTH, composeEnv.REDIS_PASSWORD);
  assert.match(stack.services.redis.command.join(' '), /--requirepass "\$\(cat \/run\/secrets\/redis_password\)"/);
  assert.equal(compose.services.rabbitmq.environment.RABBITMQ_DEFAULT_PASS, composeEnv.RABBITMQ_PASSWORD);
  assert.match(
    stack.services.rabbitmq.entrypoint.join(' '),
    /RABBITMQ_DEFAULT_PASS="\$\(cat \/run\/secrets\/rabbitmq_password\)"/,
  );
  assert.equal(compose.services.postgres.environment.POSTGRES_PASSWORD, composeEnv.POSTGRES_PASSWORD);
  assert.equal(stack.services.postgres.environment.POSTGRES_PASSWORD_FILE, '/run/secrets/postgres_password');
});

test('stack secrets: declared, mounted, and every *_FILE names a mounted one', () => {
  const docs = [stack, ...overlays.map((o) => o.doc)];
  const declared = new Set(docs.flatMap((d) => Object.keys(d.secrets ?? {})));
  const merged = {};
  for (const d of docs)
    for (const [name, service] of Object.entries(d.services ?? {}))
      merged[name] = {
        secrets: [...(merged[name]?.secrets ?? []), ...(service.secrets ?? [])],
        env: { ...merged[name]?.env, ...environmentOf(service) },
      };
  for (const [name, { secrets, env }] of Object.entries(merged)) {
    const targets = new Set();
    for (const s of secrets) {
      const source = typeof s === 'string' ? s : s.source;
      assert.ok(declared.has(source), `${name}: secret ${source} is not declared`);
      targets.add(`/run/secrets/${typeof s === 'string' ? s : (s.target ?? s.source)}`);
    }
    for (const [v, value] of Object.entries(env))
      if (v.endsWith('_FILE') && String(value).startsWith('/run/secrets/'))
        assert.ok(targets.has(value), `${name}: ${v}=${value} is not a mounted secret`);
  }
  for (const [name, secret] of Object.entries(stack.secrets)) assert.equal(secret.external, true, name);
});

test('stop grace periods cover the drain; services restart and have healthchecks', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'infra', 'docker', 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^USER node$/m, 'the image runs as the non-root node user');
  assert.match(dockerfile, /^HEALTHCHECK /m);
  // The broker waits up to 10 s for in-flight handlers; the gateway first waits up to 10 s for HTTP requests.
  for (const name of serviceFolders()) {
    assert.ok(durationMs(compose.services[name].stop_grace_period) >= 25_000, `compose ${name} stop_grace_period`);
    assert.ok(durationMs(stack.services[name].stop_grace_period) >= 25_000, `stack ${name} stop_grace_period`);
    assert.equal(compose.services[name].restart, 'unless-stopped', `compose ${name} restart`);
    const deploy = stack.services[name].deploy;
    assert.ok(deploy.update_config && deploy.rollback_config && deploy.restart_policy, `stack ${name} deploy`);
    assert.equal(deploy.update_config.failure_action, 'rollback', `stack ${name} rolls back a failed update`);
  }
  for (const name of ['rabbitmq', 'postgres', 'redis']) {
    assert.ok(compose.services[name].healthcheck?.test, `compose ${name} healthcheck`);
    assert.ok(stack.services[name].healthcheck?.test, `stack ${name} healthcheck`);
    assert.ok(stack.services[name].deploy?.restart_policy, `stack ${name} restart_policy`);
  }
  for (const name of ['rabbitmq', 'postgres'])
    assert.match(stack.services[name].deploy.placement.constraints.join(' '), /node\.labels\./, `${name} pinned`);
});

test('TRUST_PROXY is off unless an operator says a proxy adds X-Forwarded-For', () => {
  assert.equal(environmentOf(compose.services.gateway).TRUST_PROXY, 'false');
  assert.equal(environmentOf(stack.services.gateway).TRUST_PROXY, 'false');
  const withProxy = loadComposeFile(stackFile, { ...stackEnv, TRUST_PROXY: '10.0.9.0/24' });
  assert.equal(environmentOf(withProxy.services.gateway).TRUST_PROXY, '10.0.9.0/24');
  for (const name of serviceFolders().filter((n) => n !== 'gateway'))
    assert.ok(!('TRUST_PROXY' in environmentOf(compose.services[name])), name);
});

test('observability: services → collector → Jaeger; Prometheus and Grafana mount the repo files', () => {
  const bind = (service, target) =>
    (service.volumes ?? [])
      .map(String)
      .find((v) => v.split(':')[1] === target)
      ?.split(':')[0];
  assert.equal(
    bind(compose.services['otel-collector'], '/etc/otelcol-contrib/config.yaml'),
    './infra/otel-collector/config.yaml',
  );
  assert.equal(
    bind(compose.services.prometheus, '/etc/prometheus/prometheus.yml'),
    './infra/prometheus/prometheus.yml',
  );
  assert.equal(bind(compose.services.grafana, '/etc/grafana/provisioning'), './infra/grafana/provisioning');
  // The dashboards folder is mounted where the dashboard provider (provisioning/dashboards/*.yaml) looks.
  const providerDir = path.join(repoRoot, 'infra', 'grafana', 'provisioning', 'dashboards');
  const providerPaths = readdirSync(providerDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => parse(readFileSync(path.join(providerDir, f), 'utf8'))?.providers ?? [])
    .map((p) => p.options?.path)
    .filter(Boolean);
  assert.ok(providerPaths.length > 0, 'no dashboard provider with options.path');
  for (const p of providerPaths) {
    assert.equal(bind(compose.services.grafana, p), './infra/grafana/dashboards', `compose grafana mounts ${p}`);
  }
  // Swarm runs Grafana from infra/docker/grafana.Dockerfile, which copies the same folders to the same places.
  const grafanaImage = readFileSync(path.join(repoRoot, 'infra', 'docker', 'grafana.Dockerfile'), 'utf8');
  const copies = Object.fromEntries(
    [...grafanaImage.matchAll(/^COPY (\S+) (\S+)$/gm)].map(([, from, to]) => [to, from]),
  );
  assert.equal(copies['/etc/grafana/provisioning'], 'infra/grafana/provisioning');
  for (const p of providerPaths)
    assert.equal(copies[p], 'infra/grafana/dashboards', `grafana.Dockerfile copies to ${p}`);
  assert.match(stack.services.grafana.image, /\/wahooks-grafana:1\.2\.3$/);
  // Prometheus scrapes every service on its METRICS_PORT: compose by service name, Swarm by tasks.<service>.
  const promFile = (doc) =>
    doc === compose
      ? bind(compose.services.prometheus, '/etc/prometheus/prometheus.yml')
      : path.join('infra', 'swarm', stack.configs[stack.services.prometheus.configs[0].source].file);
  for (const [doc, prefix] of [
    [compose, ''],
    [stack, 'tasks.'],
  ]) {
    const prom = parse(readFileSync(path.resolve(repoRoot, promFile(doc)), 'utf8'));
    for (const name of serviceFolders()) {
      const job = prom.scrape_configs.find((j) => j.job_name === name);
      assert.ok(job, `${promFile(doc)}: no job ${name}`);
      const sd = job.dns_sd_configs?.[0];
      assert.deepEqual([sd?.names, sd?.port], [[`${prefix}${name}`], METRICS_PORTS[name]], `${promFile(doc)} ${name}`);
    }
  }
  // Every bind mount and config file the two files name exists in the repo (a missing one becomes an empty dir).
  for (const [base, doc] of [
    [repoRoot, compose],
    [stackDir, stack],
  ]) {
    for (const service of Object.values(doc.services))
      for (const v of (service.volumes ?? []).map(String))
        if (v.startsWith('.')) assert.ok(existsSync(path.resolve(base, v.split(':')[0])), `${v.split(':')[0]} exists`);
    for (const c of Object.values(doc.configs ?? {})) assert.ok(existsSync(path.resolve(base, c.file)), c.file);
  }
});

test('the interpolation the checks rely on behaves like Compose', () => {
  assert.equal(interpolate('a$${X}b', { X: '1' }), 'a${X}b');
  assert.equal(interpolate('${X:-d}|${X-d}', { X: '' }), 'd|');
  assert.equal(interpolate('${Y:-${Z:-n}}', {}), 'n');
  assert.equal(interpolate('${X:+alt}', { X: 'v' }), 'alt');
  assert.throws(() => interpolate('${X:?say so}', { X: '' }), /X is missing a value: say so/);
  assert.equal(interpolate('${X?m}', { X: '' }), '');
});
