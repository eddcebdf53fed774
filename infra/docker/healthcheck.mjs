// Container healthcheck. With HEALTHCHECK_URL it must answer 2xx within 4 s: the gateway's GET /api, a worker's
// internal /metrics (METRICS_PORT; served from before the service connects, so a long migration is not a failure,
// and only while its event loop turns). Without it there is nothing to ask: reaching this point means the
// container runs; a crashed service exits and the orchestrator restarts it.
const url = process.env.HEALTHCHECK_URL;
if (!url) process.exit(0);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck ${url}: ${err.message}`);
  process.exit(1);
}
