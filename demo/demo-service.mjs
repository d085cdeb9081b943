#!/usr/bin/env node
// A tiny HTTP service for heal's bundled services.yaml: GET /health answers {"status":"ok"}.
// heal starts it (a `command` restart with `detach: true`) when it is not running.
import { createServer } from 'node:http';

const at = process.argv.indexOf('--port');
const port = Number(at === -1 ? 48787 : process.argv[at + 1]);
const started = new Date().toISOString();

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', pid: process.pid, started }));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

server.listen(port, '127.0.0.1', () => {
  console.log(`demo service pid ${process.pid} listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
