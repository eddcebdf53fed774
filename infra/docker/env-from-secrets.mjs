// Preloaded before each service (`node --import /app/env-from-secrets.mjs`, see the Dockerfile's CMD), so that
// no password has to be written into a URL in docker-compose.yml or the Swarm stack:
//   NAME_FILE=/run/secrets/x   → NAME = that file's content, one trailing newline dropped (Docker secrets), for
//   the secrets below (an explicit list: other *_FILE variables, such as SSL_CERT_FILE, name real files);
//   RABBITMQ_PASSWORD, DATABASE_PASSWORD, REDIS_PASSWORD (set directly or through _FILE) → the password of
//   RABBITMQ_URL, DATABASE_URL, REDIS_URL, percent-encoded, so a password may contain any character.
// A mistake (unreadable file, a password for a URL that is missing or already has one) stops the process with
// one line naming the variable, before the service reads its configuration.
import { readFileSync } from 'node:fs';

const env = process.env;

function fail(message) {
  process.stderr.write(`env-from-secrets: ${message}\n`);
  process.exit(1);
}

const SECRETS = [
  'RABBITMQ_PASSWORD',
  'DATABASE_PASSWORD',
  'REDIS_PASSWORD',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'SUPABASE_JWT_SECRET',
];

for (const name of SECRETS) {
  const key = `${name}_FILE`;
  const path = env[key];
  if (!path) continue;
  if (env[name]) fail(`both ${name} and ${key} are set: keep one`);
  try {
    env[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    fail(`${key}: cannot read ${path} (${err.code ?? err.message})`);
  }
}

for (const [urlName, passwordName] of [
  ['RABBITMQ_URL', 'RABBITMQ_PASSWORD'],
  ['DATABASE_URL', 'DATABASE_PASSWORD'],
  ['REDIS_URL', 'REDIS_PASSWORD'],
]) {
  const password = env[passwordName];
  if (!password) continue;
  if (!env[urlName]) fail(`${passwordName} is set but ${urlName} is not`);
  let url;
  try {
    url = new URL(env[urlName]);
  } catch {
    fail(`${urlName} is not a URL`);
  }
  if (url.password) fail(`${urlName} already has a password: remove it or ${passwordName}`);
  url.password = encodeURIComponent(password);
  env[urlName] = url.toString();
  delete env[passwordName]; // the URL carries it now; nothing else needs a second copy
}
