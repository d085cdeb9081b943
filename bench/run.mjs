#!/usr/bin/env node
// npm run bench: heal's scan cost on generated loopback workloads, beside `node -e 0`, the floor
// script (bench/floor.mjs: start Node, make the same connects, exit) and, when it is installed,
// Monit. Workloads 1-3 run their subjects in interleaved rounds (A, B, A, B…) and give the median
// of each round's ratio. Every subject runs with NODE_EXTRA_CA_CERTS unset, as launchd and cron
// start it. Prints one table (median of several runs, with min and max) and writes
// bench/results.json. Loopback only; every process it starts is stopped before it exits.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureHistory } from './lib/history.mjs';
import { fillBenchHistory, measurePage } from './lib/page.mjs';
import { measure, measurePaired, pairedRatio } from './lib/measure.mjs';
import { endpoints, healManifest, monitControl } from './lib/workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli.js');
const LISTENERS = join(here, 'lib', 'listeners.mjs');
const FLOOR = join(here, 'floor.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// The listeners' ports start here (workloads at +0, +1000, +2000, +3000): set BENCH_BASE_PORT when
// another benchmark on the machine holds 21000-24249.
const BASE = Number(process.env.BENCH_BASE_PORT ?? 21000);
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

/** The argv of `heal scan` on a manifest written into its own folder. */
function healArgv(name, manifestText) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', dir]);
  const manifest = join(dir, 'services.yaml');
  writeFileSync(manifest, manifestText);
  return [process.execPath, CLI, 'scan', '--config', manifest];
}

async function heal(name, manifestText, runs = RUNS) {
  return measure(healArgv(name, manifestText), { runs });
}

/** The argv of Monit running a control file once; undefined when Monit is not installed. */
function monitArgv(name, controlText) {
  if (!monitVersion) return undefined;
  const dir = join(work, `${name}-monit`);
  spawnSync('mkdir', ['-p', dir]);
  const control = join(dir, 'monitrc');
  writeFileSync(control, controlText);
  chmodSync(control, 0o600);
  return ['monit', '-c', control, '-B'];
}

/** Runs the subjects that exist in interleaved rounds; records their rows and keeps the rounds. */
async function paired(workload, subjects, runs = RUNS) {
  const present = Object.fromEntries(Object.entries(subjects).filter(([, argv]) => argv));
  const { summaries, rounds } = await measurePaired(present, { runs });
  for (const [subject, summary] of Object.entries(summaries)) row(subject === 'node' ? 'node -e 0' : workload, subject, summary);
  results.rounds[workload] = rounds;
  return rounds;
}

const results = { date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadAverage: loadavg().map((n) => Math.round(n * 100) / 100) }, runs: RUNS, monit: monitVersion ?? null, env: 'NODE_EXTRA_CA_CERTS unset for every subject', workloads: {}, rounds: {} };
console.error(`heal bench: every subject runs with NODE_EXTRA_CA_CERTS unset (as launchd and cron start it)${process.env.NODE_EXTRA_CA_CERTS ? '; it is set here and removed' : ''}`);
const row = (workload, subject, summary, extra = {}) => {
  results.workloads[workload] ??= {};
  results.workloads[workload][subject] = { ...summary, ...extra };
};

try {
  // 1. 200 healthy TCP checks (four listener processes), beside the floor script making the same
  // 200 connects, Monit, and `node -e 0`, in interleaved rounds.
  const tcp = endpoints(200, BASE);
  await startListeners('tcp', tcp, 4);
  await paired('1. 200 TCP checks', {
    heal: healArgv('tcp', healManifest(tcp, { kind: 'port', stateDir: join(work, 'tcp', 'state') })),
    floor: [process.execPath, FLOOR, tcp.map((e) => `${e.host}:${e.port}`).join(',')],
    monit: monitArgv('tcp', monitControl(tcp, { kind: 'port', dir: join(work, 'tcp-monit') })),
    node: [process.execPath, '-e', '0'],
  });

  // 2. The same 200 as HTTP checks with body_contains.
  const http = endpoints(200, BASE + 1000);
  await startListeners('http', http, 4);
  const httpHeal = healArgv('http', healManifest(http, { kind: 'http', stateDir: join(work, 'http', 'state') }));
  await paired('2. 200 HTTP checks', {
    heal: httpHeal,
    monit: monitArgv('http', monitControl(http, { kind: 'http', dir: join(work, 'http-monit') })),
  });

  // 3. 200 HTTP checks of which 20 accept and never answer, timeout 1 s: one timeout, not twenty.
  const hanging = endpoints(20, BASE + 2000);
  await startListeners('hang', hanging, 1);
  const mixed = [...http.slice(0, 180), ...hanging];
  await paired('3. 200 checks, 20 hang (1s)', {
    heal: healArgv('hang', healManifest(mixed, { kind: 'http', timeout: '1s', stateDir: join(work, 'hang', 'state') })),
    monit: monitArgv('hang', monitControl(mixed, { kind: 'http', timeoutSeconds: 1, dir: join(work, 'hang-monit') })),
    // Workload 2's scan in the same rounds: the difference is what the hung endpoints cost.
    'heal, none hang': httpHeal,
  }, Math.min(RUNS, 3));

  // 4. Scale: 10, 100, 1,000 and 5,000 services (TCP), wall time and peak RSS.
  const many = endpoints(5000, BASE + 3000);
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

// The figures that matter: medians of each round's ratio (issue 19), against the targets of issues 6 and 19.
const w = results.workloads;
const med = (workload, subject) => w[workload]?.[subject]?.wallMs.median;
const rounds = results.rounds;
const W1 = '1. 200 TCP checks';
const W3 = '3. 200 checks, 20 hang (1s)';
const cpu1 = w[W1]?.heal?.cpuMs.median;
results.figures = {
  'heal / floor script (workload 1, paired)': pairedRatio(rounds[W1] ?? [], 'heal', 'floor'),
  'heal / node -e 0 (workload 1, paired)': pairedRatio(rounds[W1] ?? [], 'heal', 'node'),
  'heal / monit (workload 1, paired)': pairedRatio(rounds[W1] ?? [], 'heal', 'monit'),
  'heal / monit (workload 2, paired)': pairedRatio(rounds['2. 200 HTTP checks'] ?? [], 'heal', 'monit'),
  'heal / monit (workload 3, paired)': pairedRatio(rounds['3. 200 checks, 20 hang (1s)'] ?? [], 'heal', 'monit'),
  'workload 3: heal − heal with none hanging (ms, paired; one 1 s timeout ≈ 1000)': pairedDifference(rounds[W3] ?? [], 'heal', 'heal, none hang'),
  'heal CPU / floor CPU (workload 1, paired, user+sys)': pairedRatio(rounds[W1] ?? [], 'heal', 'floor', 'cpuMs'),
  'healthy scan CPU, user+sys ms (workload 1)': cpu1 ?? null,
  'scan every 30 s for an hour: CPU s (user+sys × 120)': cpu1 ? Math.round((cpu1 * 120) / 100) / 10 : null,
  'scan every 5 min for an hour: CPU s (user+sys × 12)': cpu1 ? Math.round((cpu1 * 12) / 100) / 10 : null,
};
const append200 = results.history?.['append, 200 services (µs, median of 500)'];
results.figures['history append, 200 services / workload 1 scan'] = append200 && med(W1, 'heal') ? `${Math.round((append200 / 1000 / med(W1, 'heal')) * 10000) / 100}%` : null;
const paged = med('6. 50 services, 30 days of history', 'heal, history + status page');
const unpaged = med('6. 50 services, 30 days of history', 'heal, history');
results.figures['status page: added to a scan of 50 services with 30 days of history (ms)'] = paged && unpaged ? Math.round((paged - unpaged) * 10) / 10 : null;
results.targets = {
  'workload 1 within 2x the floor script (paired)': results.figures['heal / floor script (workload 1, paired)'] <= 2,
  'workload 2 within 3x monit (paired)': results.figures['heal / monit (workload 2, paired)'] <= 3,
  'workload 3 within 1.5 s': med(W3, 'heal') <= 1500,
  'workload 3: 20 hung endpoints cost one timeout (within 1.5 s of the same scan with none hanging)': results.figures['workload 3: heal − heal with none hanging (ms, paired; one 1 s timeout ≈ 1000)'] <= 1500,
  '5,000 services within 3 s': med('4. 5000 services', 'heal') <= 3000,
  '5,000 services within 150 MB': w['4. 5000 services']?.heal?.maxRssMb.median <= 150,
  'history append within 1% of a 200-service scan': append200 / 1000 <= 0.01 * med(W1, 'heal'),
};

/** The median over rounds of a − b (wall ms); null when missing. */
function pairedDifference(list, a, b) {
  const diffs = list.filter((r) => r[a] && r[b]).map((r) => r[a].wallMs - r[b].wallMs).sort((x, y) => x - y);
  if (!diffs.length) return null;
  const mid = diffs.length >> 1;
  return Math.round(diffs.length % 2 ? diffs[mid] : (diffs[mid - 1] + diffs[mid]) / 2);
}

writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(table(results));

function table(r) {
  const lines = [
    `heal benchmarks · ${r.date} · node ${r.machine.node} · ${r.machine.cpus} cores, load average ${r.machine.loadAverage.join(' ')} at the start · median of ${r.runs} runs (min–max), workloads 1-3 in interleaved rounds · ${r.env}${r.monit ? ` · Monit ${r.monit}` : ' · Monit not installed: its rows are skipped'}`,
    '',
    '| workload | subject | wall ms | CPU ms (user+sys) | peak RSS MB | exit |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [workload, subjects] of Object.entries(r.workloads)) {
    for (const [subject, s] of Object.entries(subjects)) {
      if (!s) continue;
      lines.push(`| ${workload} | ${subject} | ${s.wallMs.median} (${s.wallMs.min}–${s.wallMs.max}) | ${s.cpuMs.median} | ${s.maxRssMb.median} | ${s.exitCodes.join(',')} |`);
    }
  }
  lines.push('', '| figure | value |', '| --- | --- |');
  for (const [name, value] of Object.entries(r.figures)) lines.push(`| ${name} | ${value ?? 'n/a'} |`);
  for (const [name, ok] of Object.entries(r.targets)) lines.push(`| target: ${name} | ${ok ? 'met' : 'NOT met'} |`);
  for (const [name, value] of Object.entries(r.history ?? {})) lines.push(`| history: ${name} | ${value} |`);
  for (const [name, value] of Object.entries(r.page ?? {})) lines.push(`| status page: ${name} | ${value} |`);
  return lines.join('\n');
}
