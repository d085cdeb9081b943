#!/usr/bin/env node
// A listener process for the benchmarks: listens on every host:port given and answers as told.
//   node listeners.mjs tcp|http|hang HOST:PORT[,HOST:PORT…]
// tcp: accepts and closes; http: answers 200 "ok" to any request; hang: accepts and never says a word.
// Prints "ready" once every socket listens. Loopback addresses only.
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp } from 'node:net';

const [mode, list = ''] = process.argv.slice(2);
const targets = list.split(',').filter(Boolean).map((t) => {
  const [host, port] = t.split(':');
  if (!host.startsWith('127.')) throw new Error(`refusing a non-loopback address: ${host}`);
  return { host, port: Number(port) };
});
const held = [];

function server() {
  if (mode === 'http') {
    const s = createHttp((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end('ok\n');
    });
    s.keepAliveTimeout = 0;
    return s;
  }
  if (mode === 'hang') return createTcp((socket) => { held.push(socket); socket.on('error', () => {}); socket.resume(); });
  return createTcp((socket) => { socket.on('error', () => {}); socket.end(); });
}

let pending = targets.length;
for (const { host, port } of targets) {
  server().listen(port, host, () => {
    if (--pending === 0) process.stdout.write('ready\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
