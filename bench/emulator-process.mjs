// The offline WhatsApp emulator as a child process of a benchmark (libs/wa-emulator/dist/main.js, built by
// `npx tsc -b`), and the RPC a benchmark uses with its own worker processes (emulator-sessions-worker.mjs).
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts the emulator on a free port (receipts off unless `env` says otherwise); `children` gets its process.
 * Resolves with its listening line (`url`, `control` = the control API's base URL, `rootKey`), the `child`, and
 * `call(method, path, body)` for the control API (rejects on a non-2xx answer).
 */
export async function startEmulatorProcess(children, env = {}) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../libs/wa-emulator/dist/main.js', import.meta.url))], {
    env: { ...process.env, WA_EMULATOR_PORT: '0', WA_EMULATOR_AUTO_RECEIPT: 'none', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const listening = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const call = async (method, path, body) => {
    const r = await fetch(`${listening.control}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return { child, ...listening, call };
}

/** Forks `script` (a path next to this file) as a worker answering `{id, op, ...args}` messages; `rpc(op, args)`. */
export function forkRpcWorker(script, children) {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children?.push(child);
  let rpcId = 0;
  const pending = new Map();
  child.on('message', (m) => {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  const rpc = (op, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++rpcId;
      pending.set(id, (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      child.send({ id, op, ...args });
    });
  return { child, rpc };
}
