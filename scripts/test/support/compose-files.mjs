// Reading docker-compose.yml and the Swarm stack the way Docker does, without a Docker engine: YAML with merge
// keys, then `${VAR}` interpolation of every value (Compose Specification, "Interpolation"), then validation
// against the Compose Specification's JSON schema (shipped by the dclint package).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { parse } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const composeFile = path.join(repoRoot, 'docker-compose.yml');
export const stackDir = path.join(repoRoot, 'infra', 'swarm');
export const stackFile = path.join(stackDir, 'stack.yml');

/** The folders under services/: every one is a service both files must run. */
export const serviceFolders = () =>
  readdirSync(path.join(repoRoot, 'services'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

export class MissingVariableError extends Error {}

/**
 * Compose interpolation of one string: `$$` is a literal `$`; `$VAR`, `${VAR}`; `${VAR:-default}` /
 * `${VAR-default}` (with `:` an empty value counts as unset); `${VAR:?message}` / `${VAR?message}` fail;
 * `${VAR:+alt}` / `${VAR+alt}`. Defaults may hold interpolations themselves.
 */
export function interpolate(text, env) {
  let out = '';
  for (let i = 0; i < text.length;) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (!name) {
        out += '$';
        i++;
        continue;
      }
      out += env[name] ?? '';
      i += 1 + name.length;
      continue;
    }
    // ${...}: find the matching brace (defaults may nest ${...}).
    let depth = 1;
    let j = i + 2;
    for (; j < text.length && depth > 0; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}') depth--;
    }
    if (depth !== 0) throw new Error(`unterminated \${ in ${JSON.stringify(text)}`);
    const body = text.slice(i + 2, j - 1);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(body);
    if (!m) throw new Error(`invalid interpolation \${${body}}`);
    const [, name, colon, op, arg = ''] = m;
    const value = env[name];
    const unset = value === undefined || (colon === ':' && value === '');
    if (!op) out += value ?? '';
    else if (op === '-') out += unset ? interpolate(arg, env) : value;
    else if (op === '+') out += unset ? '' : interpolate(arg, env);
    else if (unset) throw new MissingVariableError(`required variable ${name} is missing a value: ${arg}`);
    else out += value;
    i = j;
  }
  return out;
}

function interpolateTree(node, env) {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, env));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, env)]));
  return node;
}

/** The file as Docker sees it after interpolation with `env` (no other variables). */
export function loadComposeFile(file, env) {
  return interpolateTree(parse(readFileSync(file, 'utf8'), { merge: true }), env);
}

let validator;
/** Errors of `doc` against the Compose Specification schema (empty when valid). */
export function composeSchemaErrors(doc) {
  if (!validator) {
    const require = createRequire(import.meta.url);
    const dclintDir = path.dirname(require.resolve('dclint/package.json'));
    const schema = JSON.parse(readFileSync(path.join(dclintDir, 'schemas', 'compose.schema.json'), 'utf8'));
    delete schema.$schema; // draft-07, ajv's default; its https spelling is not a registered meta-schema id
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator(doc) ? [] : validator.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** A service's environment as a map, whether the file wrote a map or a KEY=VALUE list. */
export function environmentOf(service) {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((entry) => [entry.split('=')[0], entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : null]),
  );
}

/**
 * Published ports of a service as {hostIp, published, target}: short syntax `[[ip:]published:]target[/proto]`
 * (a bare target publishes nothing but an ephemeral host port, so it counts as published) and long syntax.
 */
export function publishedPorts(service) {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return {
        hostIp: port.host_ip ?? '0.0.0.0',
        published: String(port.published ?? ''),
        target: Number(port.target),
      };
    }
    const spec = String(port).replace(/\/(tcp|udp|sctp)$/, '');
    const parts = spec.startsWith('[') ? spec.split(/(?<=\]):/) : spec.split(':');
    if (parts.length === 1) return { hostIp: '0.0.0.0', published: '', target: Number(parts[0]) };
    if (parts.length === 2) return { hostIp: '0.0.0.0', published: parts[0], target: Number(parts[1]) };
    return { hostIp: parts[0], published: parts[1], target: Number(parts[2]) };
  });
}

/** "1m30s" / "30s" / "500ms" → milliseconds. */
export function durationMs(text) {
  const units = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  for (const [, n, unit] of String(text).matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) total += Number(n) * units[unit];
  return total;
}

/** Every `${NAME:?…}` / `${NAME?…}` in a file: the variables it refuses to run without. */
export function requiredVariables(file) {
  const names = new Set();
  for (const [, name] of readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) names.add(name);
  return [...names].sort();
}
