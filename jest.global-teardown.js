// Runs once per Jest run (per package), after every test file: deletes the queues and exchanges that a test file
// left under its namespace (it crashed, timed out in afterAll, or never called env.cleanup()). The namespaces of
// the run were appended by createTestEnv to the file jest.global-setup.js named. Needs libs/testing built.
import { readFileSync, rmSync } from 'node:fs';

export default async function globalTeardown() {
  const file = process.env.WAHOOKS_TEST_NAMESPACES_FILE;
  if (file) {
    let namespaces = [];
    try {
      namespaces = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
    } catch {
      // no test file created an environment
    }
    if (process.env.WAHOOKS_TEST_NAMESPACES_FILE_OWNED) rmSync(file, { force: true });
    if (namespaces.length > 0 && process.env.RABBITMQ_URL) {
      const { sweepNamespaces } = await import('@wahooks/testing');
      const swept = await sweepNamespaces(process.env.RABBITMQ_URL, namespaces);
      if (swept === null) {
        console.warn(
          `[test-teardown] cannot list the broker's names (no management API, no rabbitmqctl): ` +
            `${namespaces.length} test namespaces not checked for leftovers`,
        );
      } else if (swept.length > 0) {
        // A leak in some test file: name it so it gets fixed (the names are gone now).
        console.warn(
          `[test-teardown] deleted ${swept.length} names test files left behind: ${swept.slice(0, 20).join(', ')}`,
        );
      }
    }
  }
  for (const c of globalThis.__TEST_CONTAINERS__ ?? []) await c.stop().catch(() => undefined);
}
