// A benchmark interrupted (Ctrl-C, a timeout's SIGTERM, bench/soak.mjs) still deletes its database and broker
// namespace: the finally blocks of its main() do not run when a signal ends the process. BENCH_KEEP keeps them.
const envs = new Set();
let children = [];
let installed = false;

/** A child process (e.g. a service on the namespace) to kill before the clean-up on a signal. */
export function trackChild(child) {
  children.push(child);
  return child;
}

/** Registers `env` (from createTestEnv) for clean-up on SIGINT/SIGTERM/SIGHUP; `kids` are killed first. */
export function cleanUpOnSignal(env, kids = children) {
  envs.add(env);
  children = kids;
  if (installed) return env;
  installed = true;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.once(signal, async () => {
      console.error(`[bench] ${signal}: cleaning up ${envs.size} test environment(s)`);
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); // no re-declare after the delete
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!process.env.BENCH_KEEP) {
        for (const e of envs)
          await e.cleanup().catch((err) => console.error(`[bench] clean-up failed: ${err.message}`));
      }
      process.exit(code);
    });
  }
  return env;
}
