#!/usr/bin/env node
// `npm run demo`: the whole product, offline, in about a minute. Starts the WhatsApp emulator and the six services
// (billing self-hosted: no Stripe), then walks through what a customer does: mint an API token, get a connection
// and its QR, scan it with the emulator's phone, receive a signed webhook, send a text and an image, stream an event
// over /api/ws and read the delivery logs. Exits 0 only when every step worked; always stops what it started and
// removes its data (also on failure and on Ctrl-C).
//
// Needs RabbitMQ, PostgreSQL and Redis (RABBITMQ_URL, DATABASE_URL, REDIS_URL; the services' defaults otherwise).
// It uses a database, broker namespace and Redis prefix of its own (wahooks_demo_<random>, demo_<random>.) and
// free ports, so it never touches real data and can run next to `npm start`.
//
//   WAHOOKS_BUILD=0        do not run `tsc -b` first (default: build, as `npm start` does)
//   WAHOOKS_DEMO_LOGS=1    print the services' and the emulator's own output as it comes
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildSteps } from './steps.mjs';
import { demoEnvironment } from './isolation.mjs';
import { stopEverything } from './teardown.mjs';
import { bold, DemoError, detail, dim, runSteps } from './output.mjs';
import { repoRoot } from './processes.mjs';

const SERVICE_NAMES = ['billing', 'connection', 'gateway', 'messaging', 'token', 'webhook-delivery'];

/** Builds like `npm start` (unless WAHOOKS_BUILD=0), then checks that every entry point the demo runs is built. */
function build() {
  let summary = 'tsc -b ok';
  if (process.env.WAHOOKS_BUILD === '0') {
    summary = 'skipped (WAHOOKS_BUILD=0): using the last build';
  } else {
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    if (!existsSync(tsc)) throw new DemoError('typescript is not installed', 'run `npm ci` first');
    const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: repoRoot, stdio: 'inherit' });
    if (result.status !== 0) {
      throw new DemoError(
        '`tsc -b` failed (see above)',
        'fix the build, or run the last build anyway with WAHOOKS_BUILD=0',
      );
    }
  }
  const entries = [
    'libs/wa-emulator/dist/main.js',
    'libs/testing/dist/index.js',
    ...SERVICE_NAMES.map((name) => `services/${name}/dist/main.js`),
  ];
  const missing = entries.filter((file) => !existsSync(path.join(repoRoot, file)));
  if (missing.length > 0) throw new DemoError(`not built: ${missing.join(', ')}`, 'run `npm run build`');
  return summary;
}

const demo = demoEnvironment();
/** Everything the steps create, for the steps after them and for the teardown. */
const state = {
  demo,
  jwtSecret: randomBytes(32).toString('hex'),
  userId: randomUUID(),
  contact: '15557654321',
};

process.stdout.write(
  `${bold('WAHooks demo')} ${dim(`(run ${demo.id}: database ${demo.database}, broker namespace ${demo.namespace}, Redis prefix ${demo.redisPrefix})`)}\n`,
);

let finishing;
/** Stops everything once (a second Ctrl-C while stopping kills the children at once). */
async function finish(reason, ok) {
  if (finishing) return finishing;
  finishing = (async () => {
    if (reason) process.stdout.write(`\n${reason}\n`);
    const cleaned = await stopEverything(state);
    const success = ok && cleaned;
    process.stdout.write(
      success
        ? `\n${bold('demo finished: every step ok')}; everything it started is stopped and its data removed\n`
        : interrupts > 0
          ? `\n${bold('demo interrupted')}${cleaned ? '; everything it started is stopped and its data removed' : ''}\n`
          : `\n${bold('demo FAILED')} (see the failed step above)\n`,
    );
    return success;
  })();
  return finishing;
}

let interrupts = 0;
let firstInterruptAt = 0;
// `npm run demo` forwards the terminal's Ctrl-C to the demo, which also gets it from the terminal: signals within
// this window count as one.
const REPEAT_WINDOW_MS = 1000;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupts > 0 && Date.now() - firstInterruptAt < REPEAT_WINDOW_MS) return;
    interrupts++;
    if (interrupts > 1) {
      process.stdout.write(`\n${signal} again: killing everything the demo started now\n`);
      state.emulator?.child.killNow();
      state.services?.killNow();
      process.exit(130);
    }
    firstInterruptAt = Date.now();
    finish(`${signal}: stopping everything the demo started (again to kill at once)…`, false).then(() =>
      process.exit(130),
    );
  });
}
// A bug in the demo itself (e.g. in an event handler) still stops everything and removes the data.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    detail(`unexpected error: ${err?.stack ?? err}`);
    finish(undefined, false).then(() => process.exit(1));
  });
}
// Never leave children behind, even on an unexpected exit.
process.on('exit', () => {
  state.emulator?.child.killNow();
  state.services?.killNow();
});

let ok = false;
try {
  ok = await runSteps(
    [{ title: 'Build the services (tsc -b)', run: build }, ...buildSteps(state)],
    () => interrupts > 0,
  );
} catch (err) {
  detail(`unexpected error: ${err?.stack ?? err}`);
}
if (!ok && interrupts === 0) {
  for (const [child, count] of [
    [state.emulator?.child, 10],
    [state.services, 25],
  ]) {
    if (!child?.lines.length) continue;
    detail(dim(`last lines of ${child.name} (WAHOOKS_DEMO_LOGS=1 shows them all):`));
    for (const line of child.tail(count)) detail(dim(line));
  }
}
const success = await finish(undefined, ok);
process.exit(success ? 0 : 1);
