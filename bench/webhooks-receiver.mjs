// Receiver for bench/webhooks.mjs, in its own process: answers 200 (or 500 with probability FAIL_RATE),
// records end-to-end latency (now - envelope timestamp, same machine clock) and webhook-ids.
import http from 'node:http';

const failRate = Number(process.env.FAIL_RATE ?? 0);
let latencies = [];
let count = 0;
let failed = 0;
const ids = new Set();
let perSecond = new Map();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (failRate > 0 && Math.random() < failRate) {
      failed++;
      res.writeHead(500).end('nope');
      return;
    }
    const now = Date.now();
    const body = Buffer.concat(chunks).toString('utf8');
    const m = /"timestamp":(\d+)/.exec(body);
    if (m) latencies.push(now - Number(m[1]));
    const id = req.headers['webhook-id'];
    if (id) ids.add(id);
    count++;
    const s = Math.floor(now / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));

process.on('message', (msg) => {
  if (msg.cmd === 'stats') {
    // light: counters only (the sustained phase asks every interval; the latency list can be millions long)
    const heavy = msg.light ? {} : { latencies, perSecond: [...perSecond.entries()] };
    process.send({ stats: { count, failed, unique: ids.size, ...heavy } });
    if (msg.reset) {
      latencies = [];
      count = 0;
      failed = 0;
      ids.clear();
      perSecond = new Map();
    }
  }
  if (msg.cmd === 'exit') server.close(() => process.exit(0));
});
// The bench died (a signal, a crash): do not outlive it.
process.on('disconnect', () => process.exit(0));
