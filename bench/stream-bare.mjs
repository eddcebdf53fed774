#!/usr/bin/env node
// The baseline for bench/stream.mjs: a bare `ws` server in its own process. Sockets connect to
// /api/ws?user=<id>; the bench sends it each event over IPC ({userId, message}) and it writes `message` to every
// socket of that user, as the gateway does after its RabbitMQ hop, auth and filters. Prints its port over IPC.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const byUser = new Map();
const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/api/ws', perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws, req) => {
  const user = new URL(req.url, 'http://localhost').searchParams.get('user');
  let set = byUser.get(user);
  if (!set) byUser.set(user, (set = new Set()));
  set.add(ws);
  ws.on('close', () => set.delete(ws));
  ws.on('error', () => undefined);
});
process.on('message', (m) => {
  if (m.cmd !== 'event') return;
  const sockets = byUser.get(m.userId);
  if (!sockets) return;
  const bytes = Buffer.from(m.message); // once per event, shared by the sockets (as the gateway does)
  for (const ws of sockets) ws.send(bytes, { binary: false });
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('SIGTERM', () => process.exit(0));
