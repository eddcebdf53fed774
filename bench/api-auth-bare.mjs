#!/usr/bin/env node
// The baseline for bench/api-auth.mjs: a bare express 5 hello-world in its own process. Prints its port.
import express from 'express';

const app = express();
app.get('/api/tokens', (_req, res) => {
  res.json({ hello: 'world' });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
