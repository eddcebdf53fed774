// Container healthcheck. With HEALTHCHECK_URL (the gateway: http://127.0.0.1:3000/api) it must answer 2xx
// within 4 s. Services without an HTTP port have nothing to ask: reaching this point means the container runs;
// a crashed service exits and the orchestrator restarts it.
const url = process.env.HEALTHCHECK_URL;
if (!url) process.exit(0);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck ${url}: ${err.message}`);
  process.exit(1);
}
