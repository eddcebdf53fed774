// The end of every demo run, success or not: stop the stream socket, the services (they drain), the emulator and
// the receiver, then drop the demo's database, broker namespace and Redis keys. Prints one line per part.
import { removeDemoData } from './isolation.mjs';
import { detail, dim } from './output.mjs';

const SERVICES_GRACE_MS = 15_000; // scripts/start.mjs drains every service within its own 15 s
const EMULATOR_GRACE_MS = 5_000;

/** Returns whether everything was stopped and removed. */
export async function stopEverything(state) {
  process.stdout.write(`\n${dim('stopping everything the demo started…')}\n`);
  let clean = true;
  const report = (what, problem) => {
    if (problem) clean = false;
    detail(problem ? `cleanup FAILED: ${what}: ${problem}` : `cleanup ok: ${what}`);
  };
  state.socket?.terminate();
  if (state.services) {
    const { code, signal } = await state.services.stop(SERVICES_GRACE_MS);
    // SIGTERM can only end the supervisor before its handlers are installed, i.e. before it started any service
    const drained = code === 0 || signal === 'SIGTERM';
    report('services stopped', drained ? undefined : `the supervisor ended with ${signal ?? `code ${code}`}`);
  }
  if (state.emulator) {
    await state.emulator.child.stop(EMULATOR_GRACE_MS);
    report('emulator stopped');
  }
  if (state.receiver) {
    await state.receiver.close();
    report('webhook receiver stopped');
  }
  if (state.databaseCreated) {
    const problems = await removeDemoData(state.demo);
    report(
      `database ${state.demo.database}, broker namespace ${state.demo.namespace} and Redis keys ${state.demo.redisPrefix}* removed`,
      problems.join('; ') || undefined,
    );
  }
  return clean;
}
