#!/usr/bin/env node
// A local OTLP/HTTP trace receiver for the benchmarks (tracing on, issue 15): accepts every export request on
// /v1/traces, answers 200 with an empty ExportTraceServiceResponse (valid for http/protobuf and http/json),
// keeps nothing. Prints {"port": …} once listening; the parent asks for its counters over IPC.
import http from 'node:http';

let requests = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    requests++;
    const json = String(req.headers['content-type'] ?? '').includes('json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : '');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('message', () => process.send?.({ requests, bytes }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
