#!/usr/bin/env node
// node bench/outbox.mjs [--messages 100000] [--runs 3] [--cli dist/cli.js]
//
// What a big outbox costs `heal scan`: a state whose outbox holds N undelivered messages for one
// webhook channel (as an older heal could leave after a long outage), scanned with the channel
// still down (a closed port) and with it back (a local receiver that accepts everything). Each run
// starts from the same state file and scans twice: the first scan, and the next one on the state
// the first left. Prints, per scan, wall time and peak RSS (GNU time; median, min–max), the
// messages left waiting and the state file's size after it. Loopback only; it stops the receiver
// and removes its folder before it exits. Build first (`npm run build`), or point --cli at
// another build to compare.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnce, summarise } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const MESSAGES = Number(option('messages', 100_000));
const RUNS = Number(option('runs', 3));
const CLI = resolve(option('cli', join(here, '..', 'dist', 'cli.js')));

const work = mkdtempSync(join(tmpdir(), 'heal-bench-outbox-'));
let receiver;

/** A port on 127.0.0.1 that nothing listens on. */
function closedPort() {
  return new Promise((done) => {
    const server = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** A webhook receiver that answers 204 to everything and counts what it got. */
function startReceiver() {
  return new Promise((done) => {
    let count = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        count += 1;
        res.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1', () => done({ port: server.address().port, count: () => count, close: () => new Promise((r) => server.close(r)) }));
  });
}

/** The state file: N messages of one notice each, for channel "hook", made over the last hour. */
function stateWith(count, now) {
  const outbox = [];
  for (let i = 0; i < count; i++) {
    const at = now - 3_600_000 + Math.floor((i * 3_600_000) / count);
    const service = `svc-${i % 50}`;
    outbox.push({
      message: {
        id: `heal-${at.toString(36)}-${i}-hook`,
        channel: 'hook',
        level: 'critical',
        createdAt: at,
        notices: [{ id: `${service}/down@${at}#${i + 1}`, key: `${service}/down`, kind: 'down', level: 'critical', service, title: `${service} is down`, detail: `port 127.0.0.1:${4000 + (i % 50)}: connection refused`, action: 'restarted (command): still failing', since: at, at, host: 'bench' }],
      },
      attempts: 3,
      lastError: 'connection refused',
    });
  }
  return { version: 1, services: {}, alerts: { keys: {}, outbox, channels: {}, silences: {}, sent: {}, dropped: 0 } };
}

function manifest(stateDir, hookUrl) {
  return [
    'version: 1',
    `state_dir: ${JSON.stringify(stateDir)}`,
    'scan_timeout: 30s',
    'alerts:',
    '  levels: { critical: { threshold: 1, cooldown: 1h, channels: [hook] } }',
    `  channels: { hook: { type: webhook, url: ${JSON.stringify(hookUrl)}, timeout: 2s } }`,
    'services:',
    '  api: { checks: [ { type: command, run: ["true"] } ] }',
    '',
  ].join('\n');
}

/** Runs each of `RUNS` times from the template state: the first scan, then the next one on what it left. */
async function runCase(name, hookUrl, template) {
  const dir = join(work, name);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const config = join(dir, 'services.yaml');
  writeFileSync(config, manifest(stateDir, hookUrl));
  const scans = [{ samples: [] }, { samples: [] }];
  for (let run = 0; run < RUNS; run++) {
    copyFileSync(template, join(stateDir, 'state.json'));
    for (const scan of scans) {
      scan.samples.push(await runOnce([process.execPath, CLI, 'scan', '--config', config], { env: { ...process.env, HEAL_LOG_LEVEL: 'error' } }));
      const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
      scan.after = { waiting: state.alerts.outbox.length, stateKb: Math.round(statSync(join(stateDir, 'state.json')).size / 1024) };
    }
  }
  return scans.map((scan, i) => ({ name: `${name}, ${i === 0 ? 'first scan' : 'next scan'}`, ...summarise(scan.samples), ...scan.after }));
}

try {
  if (spawnSync(process.execPath, [CLI, '--version']).status !== 0) throw new Error(`no CLI at ${CLI}: run npm run build first`);
  const template = join(work, 'state.template.json');
  const now = Date.now();
  writeFileSync(template, JSON.stringify(stateWith(MESSAGES, now)));
  const templateKb = Math.round(statSync(template).size / 1024);
  const down = await runCase('channel down', `http://127.0.0.1:${await closedPort()}/hook`, template);
  receiver = await startReceiver();
  const up = await runCase('channel back up', `http://127.0.0.1:${receiver.port}/hook`, template);
  const received = receiver.count();

  console.log(`heal outbox bench · ${new Date(now).toISOString()} · node ${process.version} · ${MESSAGES} waiting messages (${templateKb} KB state) · ${RUNS} runs · ${CLI}`);
  console.log('');
  console.log('| case | wall ms | peak RSS MB | exit | waiting after | state after KB |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of [...down, ...up]) {
    const wall = `${row.wallMs.median} (${row.wallMs.min}–${row.wallMs.max})`;
    const rss = `${row.maxRssMb.median} (${row.maxRssMb.min}–${row.maxRssMb.max})`;
    console.log(`| ${row.name} | ${wall} | ${rss} | ${row.exitCodes.join(',')} | ${row.waiting} | ${row.stateKb} |`);
  }
  console.log('');
  console.log(`receiver got ${received} POSTs over ${RUNS} runs of "channel back up" (two scans each)`);
} finally {
  await receiver?.close();
  rmSync(work, { recursive: true, force: true });
}
