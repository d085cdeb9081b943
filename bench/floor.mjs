#!/usr/bin/env node
// The floor a scan is measured against (issue 19): start Node, make the same TCP connects a
// scan makes, all at once, close each as it opens, exit. No manifest, no state, no logger.
//   node bench/floor.mjs HOST:PORT[,HOST:PORT…]
// Exits 0 when every connect opened, 1 otherwise.
import { connect } from 'node:net';

const targets = (process.argv[2] ?? '').split(',').filter(Boolean);
let pending = targets.length;
let failed = 0;
const done = (ok) => {
  if (!ok) failed += 1;
  if (--pending === 0) process.exit(failed ? 1 : 0);
};
for (const target of targets) {
  const colon = target.lastIndexOf(':');
  const socket = connect({ host: target.slice(0, colon), port: Number(target.slice(colon + 1)) });
  socket.setTimeout(1000, () => { socket.destroy(); done(false); });
  socket.once('connect', () => { socket.destroy(); done(true); });
  socket.once('error', () => done(false));
}
if (pending === 0) process.exit(0);
