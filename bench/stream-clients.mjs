#!/usr/bin/env node
// The sockets of bench/stream.mjs, in their own process: `perUser` sockets per user to each target (the gateway's
// /api/ws?token=<jwt>, the bare server's /api/ws?user=<id>). Each message's latency is its arrival time minus the
// `sentAt` the bench put in the payload when it published the event (wall clock in ms with µs resolution, same
// machine). Commands over IPC: {cmd:'open', targets, users, perUser, group?}, {cmd:'close', group},
// {cmd:'stats', reset}, {cmd:'exit'}. Sockets of a group other than 'load' only count for memory.
import { WebSocket } from 'ws';

const now = () => performance.timeOrigin + performance.now();
const stats = {};
const groups = new Map(); // group name -> its sockets
const reset = (t) => (stats[t] = { received: 0, latencies: [], closed: 0, warmups: stats[t]?.warmups ?? new Set() });

function open(target, url, key, group) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(ws);
    ws.on('close', () => {
      if (group === 'load') stats[target].closed++;
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      const s = stats[target];
      if (m.payload?.warmup) {
        s.warmups.add(key);
        return;
      }
      s.received++;
      s.latencies.push(now() - m.payload.sentAt);
    });
  });
}

process.on('message', async (m) => {
  if (m.cmd === 'open') {
    for (const t of Object.keys(m.targets)) if (!stats[t]) reset(t);
    const jobs = [];
    for (const [target, base] of Object.entries(m.targets))
      for (const u of m.users)
        for (let i = 0; i < m.perUser; i++) {
          const q = target === 'gateway' ? `token=${encodeURIComponent(u.token)}` : `user=${u.userId}`;
          jobs.push([target, `${base}/api/ws?${q}`, `${u.userId}:${i}`, m.group ?? 'load']);
        }
    // 50 handshakes at a time: a burst of 2,000 at once would measure the accept queue, not the stream.
    for (let i = 0; i < jobs.length; i += 50) await Promise.all(jobs.slice(i, i + 50).map((j) => open(...j)));
    process.send({ opened: jobs.length });
  } else if (m.cmd === 'stats') {
    const out = {};
    for (const [t, s] of Object.entries(stats))
      out[t] = { received: s.received, latencies: s.latencies, warmedUp: s.warmups.size, closed: s.closed };
    if (m.reset) for (const t of Object.keys(stats)) reset(t);
    process.send({ stats: out });
  } else if (m.cmd === 'close') {
    const sockets = groups.get(m.group) ?? [];
    groups.delete(m.group);
    await Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.once('close', resolve), ws.close()))));
    process.send({ closed: sockets.length });
  } else if (m.cmd === 'exit') process.exit(0);
});
