#!/usr/bin/env node
// npm run bench: heal's scan cost on generated loopback workloads, beside `node -e 0` and, when it
// is installed, Monit. Prints one table (median of several runs, with min and max) and writes
// bench/results.json. Loopback only; every process it starts is stopped before it exits.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureHistory } from './lib/history.mjs';
import { fillBenchHistory, measurePage } from './lib/page.mjs';
import { measure } from './lib/measure.mjs';
import { endpoints, healManifest, monitControl } from './lib/workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli.js');
const LISTENERS = join(here, 'lib', 'listeners.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'heal-bench-'));
const children = [];

function startListeners(mode, list, processes) {
  const size = Math.ceil(list.length / processes);
  const started = [];
  for (let i = 0; i < list.length; i += size) {
    const chunk = list.slice(i, i + size).map((e) => `${e.host}:${e.port}`).join(',');
    const child = spawn(process.execPath, [LISTENERS, mode, chunk], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    started.push(new Promise((resolve, reject) => {
      child.stdout.once('data', resolve);
      child.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
    }));
  }
  return Promise.all(started);
}

function stopAll() {
  for (const child of children.splice(0)) child.kill('SIGKILL');
}

/** Monit's version, installing it from Debian's packages first when it is missing and we may. */
function ensureMonit() {
  const probe = () => spawnSync('monit', ['-V'], { encoding: 'utf8' });
  let monit = probe();
  if (monit.status !== 0 && process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
    console.error('Monit is not installed: apt-get install -y monit …');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'monit'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    monit = probe();
  }
  if (monit.status !== 0) console.error('Monit is not installed and could not be: its rows are skipped.');
  return monit.status === 0 ? /version ([\d.]+)/.exec(monit.stdout)?.[1] : undefined;
}

const monitVersion = ensureMonit();

async function heal(name, manifestText, runs = RUNS) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', dir]);
  const manifest = join(dir, 'services.yaml');
  writeFileSync(manifest, manifestText);
  return measure([process.execPath, CLI, 'scan', '--config', manifest], { runs });
}

async function monitRun(name, controlText, runs = RUNS) {
  if (!monitVersion) return undefined;
  const dir = join(work, `${name}-monit`);
  spawnSync('mkdir', ['-p', dir]);
  const control = join(dir, 'monitrc');
  writeFileSync(control, controlText);
  chmodSync(control, 0o600);
  return measure(['monit', '-c', control, '-B'], { runs });
}

const results = { date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model }, runs: RUNS, monit: monitVersion ?? null, workloads: {} };
const row = (workload, subject, summary, extra = {}) => {
  results.workloads[workload] ??= {};
  results.workloads[workload][subject] = { ...summary, ...extra };
};

try {
  row('node -e 0', 'node', await measure([process.execPath, '-e', '0'], { runs: RUNS }));

  // 1. 200 healthy TCP checks (four listener processes).
  const tcp = endpoints(200, 21000);
  await startListeners('tcp', tcp, 4);
  row('1. 200 TCP checks', 'heal', await heal('tcp', healManifest(tcp, { kind: 'port', stateDir: join(work, 'tcp', 'state') })));
  row('1. 200 TCP checks', 'monit', await monitRun('tcp', monitControl(tcp, { kind: 'port', dir: join(work, 'tcp-monit') })));

  // 2. The same 200 as HTTP checks with body_contains.
  const http = endpoints(200, 22000);
  await startListeners('http', http, 4);
  row('2. 200 HTTP checks', 'heal', await heal('http', healManifest(http, { kind: 'http', stateDir: join(work, 'http', 'state') })));
  row('2. 200 HTTP checks', 'monit', await monitRun('http', monitControl(http, { kind: 'http', dir: join(work, 'http-monit') })));

  // 3. 200 HTTP checks of which 20 accept and never answer, timeout 1 s.
  const hanging = endpoints(20, 23000);
  await startListeners('hang', hanging, 1);
  const mixed = [...http.slice(0, 180), ...hanging];
  row('3. 200 checks, 20 hang (1s)', 'heal', await heal('hang', healManifest(mixed, { kind: 'http', timeout: '1s', stateDir: join(work, 'hang', 'state') })));
  row('3. 200 checks, 20 hang (1s)', 'monit', await monitRun('hang', monitControl(mixed, { kind: 'http', timeoutSeconds: 1, dir: join(work, 'hang-monit') }), Math.min(RUNS, 3)));

  // 4. Scale: 10, 100, 1,000 and 5,000 services (TCP), wall time and peak RSS.
  const many = endpoints(5000, 24000);
  await startListeners('tcp', many, 10);
  for (const n of [10, 100, 1000, 5000]) {
    row(`4. ${n} services`, 'heal', await heal(`scale-${n}`, healManifest(many.slice(0, n), { kind: 'port', stateDir: join(work, `scale-${n}`, 'state') }), n >= 1000 ? Math.min(RUNS, 3) : RUNS));
  }

  // 5. The history every full scan appends to (issue 17): in-process, on the real store.
  results.history = await measureHistory(work);

  // 6. A scan of 50 services over 30 days of history, without and with the status page (issue 17, part 3).
  for (const [subject, page] of [['heal, history', false], ['heal, history + status page', true]]) {
    const name = page ? 'history-page' : 'history-only';
    const stateDir = join(work, `${name}-state`);
    await fillBenchHistory(work, stateDir, { services: 50, days: 30, end: Date.now() });
    const manifest = healManifest(tcp.slice(0, 50), { kind: 'port', stateDir }) + (page ? `status_page: ${JSON.stringify(join(work, `${name}-page`, 'index.html'))}\n` : '');
    row('6. 50 services, 30 days of history', subject, await heal(name, manifest));
  }
  // The page alone: reading the month, the model, the HTML (node bench/page.mjs gives the same).
  results.page = await measurePage(work);
} finally {
  stopAll();
  rmSync(work, { recursive: true, force: true });
}

// The figures that matter, as ratios and against the targets of issue 6.
const w = results.workloads;
const med = (workload, subject) => w[workload]?.[subject]?.wallMs.median;
results.figures = {
  'heal / node -e 0 (workload 1)': ratio(med('1. 200 TCP checks', 'heal'), med('node -e 0', 'node')),
  'heal / monit (workload 1)': ratio(med('1. 200 TCP checks', 'heal'), med('1. 200 TCP checks', 'monit')),
  'heal / monit (workload 2)': ratio(med('2. 200 HTTP checks', 'heal'), med('2. 200 HTTP checks', 'monit')),
  'heal / monit (workload 3)': ratio(med('3. 200 checks, 20 hang (1s)', 'heal'), med('3. 200 checks, 20 hang (1s)', 'monit')),
};
const append200 = results.history?.['append, 200 services (µs, median of 500)'];
results.figures['history append, 200 services / workload 1 scan'] = append200 && med('1. 200 TCP checks', 'heal') ? `${Math.round((append200 / 1000 / med('1. 200 TCP checks', 'heal')) * 10000) / 100}%` : null;
const paged = med('6. 50 services, 30 days of history', 'heal, history + status page');
const unpaged = med('6. 50 services, 30 days of history', 'heal, history');
results.figures['status page: added to a scan of 50 services with 30 days of history (ms)'] = paged && unpaged ? Math.round((paged - unpaged) * 10) / 10 : null;
results.targets = {
  'workload 1 within 2x node -e 0': results.figures['heal / node -e 0 (workload 1)'] <= 2,
  'workload 3 within 1.5 s': med('3. 200 checks, 20 hang (1s)', 'heal') <= 1500,
  '5,000 services within 3 s': med('4. 5000 services', 'heal') <= 3000,
  '5,000 services within 150 MB': w['4. 5000 services']?.heal?.maxRssMb.median <= 150,
  'history append within 1% of a 200-service scan': append200 / 1000 <= 0.01 * med('1. 200 TCP checks', 'heal'),
};

function ratio(a, b) {
  return a && b ? Math.round((a / b) * 100) / 100 : null;
}

writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(table(results));

function table(r) {
  const lines = [
    `heal benchmarks · ${r.date} · node ${r.machine.node} · ${r.machine.cpus} cores · median of ${r.runs} runs (min–max)${r.monit ? ` · Monit ${r.monit}` : ' · Monit not installed: its rows are skipped'}`,
    '',
    '| workload | subject | wall ms | peak RSS MB | exit |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [workload, subjects] of Object.entries(r.workloads)) {
    for (const [subject, s] of Object.entries(subjects)) {
      if (!s) continue;
      lines.push(`| ${workload} | ${subject} | ${s.wallMs.median} (${s.wallMs.min}–${s.wallMs.max}) | ${s.maxRssMb.median} | ${s.exitCodes.join(',')} |`);
    }
  }
  lines.push('', '| figure | value |', '| --- | --- |');
  for (const [name, value] of Object.entries(r.figures)) lines.push(`| ${name} | ${value ?? 'n/a'} |`);
  for (const [name, ok] of Object.entries(r.targets)) lines.push(`| target: ${name} | ${ok ? 'met' : 'NOT met'} |`);
  for (const [name, value] of Object.entries(r.history ?? {})) lines.push(`| history: ${name} | ${value} |`);
  for (const [name, value] of Object.entries(r.page ?? {})) lines.push(`| status page: ${name} | ${value} |`);
  return lines.join('\n');
}
