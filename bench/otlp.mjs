// Tracing on in a benchmark (BENCH_TRACING=1, issue 15): the services export their spans over OTLP/HTTP to a
// local receiver (otlp-receiver.mjs, its own process, so its CPU can be shown apart from the services').
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Whether this run traces (BENCH_TRACING=1). */
export const TRACING = process.env.BENCH_TRACING === '1';

/** Starts the receiver; `children` gets its process (killed with the bench's other children). */
export async function startOtlpReceiver(children) {
  const child = fork(fileURLToPath(new URL('./otlp-receiver.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children?.push(child);
  const { port } = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    child.once('exit', (code) => reject(new Error(`OTLP receiver exited with ${code}`)));
  });
  /** Export requests and bytes received so far. */
  const counters = () =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send('counters');
    });
  return { child, endpoint: `http://127.0.0.1:${port}`, counters };
}
