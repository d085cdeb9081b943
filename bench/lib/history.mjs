// What the history costs (issue 17): the append a full scan makes, the day's first append (which
// compresses the day before and deletes what is past keep), the size of 30 days of five-minute
// scans, and what `heal status` pays to read them. Measured in-process on the real
// src/history/store.ts, bundled with esbuild (the same code the CLI bundles).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const MIN = 60_000;
const DAY = 86_400_000;

/** The history store, bundled into `work`. */
export async function historyStore(work) {
  const outfile = join(work, 'history-store.mjs');
  await build({ entryPoints: [join(here, '..', '..', 'src', 'history', 'store.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning' });
  return import(outfile);
}

/** mulberry32: the same figures every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A scan of `count` services with two checks each: latencies near each service's own, now and then one down. */
function scanMaker(count, seed = 17, nameOf = (i) => `service-${String(i).padStart(3, '0')}`) {
  const next = prng(seed);
  const names = Array.from({ length: count }, (_, i) => nameOf(i));
  const base = names.map(() => [1 + Math.floor(next() * 5), 5 + Math.floor(next() * 120)]);
  return (t) => ({
    t,
    durationMs: 150 + Math.floor(next() * 100),
    services: new Map(names.map((name, i) => {
      const down = next() < 0.001;
      const latencyMs = base[i].map((ms) => Math.round(ms * (0.8 + next() * 0.4)));
      return [name, down ? { status: 'down', latencyMs: [latencyMs[0], 3000], restart: 'failed', alerts: 1 } : { status: 'up', latencyMs, alerts: 0 }];
    })),
  });
}

/** Appends `days` days of scans every `every` ms ending at `end`, as the scans would (services named by `nameOf(i)`); returns how many. */
export async function fillHistory(store, stateDir, { services, days, every = 5 * MIN, end, keepMs = 30 * DAY, nameOf }) {
  const scan = scanMaker(services, 17, nameOf);
  let count = 0;
  for (let t = end - days * DAY; t < end; t += every, count++) await store.appendRecord(stateDir, scan(t), { keepMs, now: t });
  return count;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function bytesOf(dir) {
  const files = readdirSync(dir);
  const sizes = files.map((name) => statSync(join(dir, name)).size);
  return { files: files.length, total: sizes.reduce((a, b) => a + b, 0), today: statSync(join(dir, files.filter((n) => n.endsWith('.jsonl')).sort().at(-1))).size };
}

/**
 * The figures: per append (a day's file already well filled, no housekeeping) for 50 and 200
 * services, median of `appends`; the day's first append; 30 days × 50 services on disk; reading them
 * (and `heal status`, when dist/ is built), closed days from their cols files and from their lines
 * alone, paired and interleaved, median of `runs`.
 */
export async function measureHistory(work, { appends = 500, runs = 9 } = {}) {
  const store = await historyStore(work);
  const end = Date.UTC(2026, 10, 22, 23, 0);
  const out = {};

  for (const services of [50, 200]) {
    const dir = join(work, `history-append-${services}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Half a day's lines in today's file first, as at noon.
    const scan = scanMaker(services, 5);
    for (let t = end - 12 * 60 * MIN; t < end - 5 * MIN; t += 5 * MIN) await store.appendRecord(dir, scan(t), { keepMs: 30 * DAY, now: t });
    const samples = [];
    for (let i = 0; i < appends; i++) {
      const record = scan(end + i);
      const started = process.hrtime.bigint();
      await store.appendRecord(dir, record, { keepMs: 30 * DAY, now: record.t });
      samples.push(Number(process.hrtime.bigint() - started) / 1e3);
    }
    out[`append, ${services} services (µs, median of ${appends})`] = round(median(samples), 0);
  }

  const dir = join(work, 'history-30d');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const scans = await fillHistory(store, dir, { services: 50, days: 30, end });
  const size = bytesOf(join(dir, 'history'));
  out['30 days × 50 services, 5-minute scans: on disk (MB)'] = round(size.total / 1e6, 2);
  out['… of which today, uncompressed (kB)'] = round(size.today / 1e3, 0);
  out['… files'] = size.files;
  out['… scans'] = scans;

  // The first append of the next day: compresses the day before (288 lines) and deletes the oldest day.
  const firstOfDay = [];
  for (let d = 0; d < 5; d++) {
    const t = end + (d + 1) * DAY - (end % DAY) + MIN;
    const scan = scanMaker(50, d);
    const started = process.hrtime.bigint();
    await store.appendRecord(dir, scan(t), { keepMs: 30 * DAY, now: t });
    firstOfDay.push(Number(process.hrtime.bigint() - started) / 1e6);
    for (let s = 1; s < 288; s++) await store.appendRecord(dir, scan(t + s * 5 * MIN), { keepMs: 30 * DAY, now: t + s * 5 * MIN });
  }
  out['first append of a day, 50 services: compress the day before, delete the oldest (ms, median of 5)'] = round(median(firstOfDay), 1);

  // The same month without the closed days' cols files: read from their lines, as before them.
  const linesOnly = join(work, 'history-30d-lines');
  rmSync(linesOnly, { recursive: true, force: true });
  cpSync(join(dir, 'history'), join(linesOnly, 'history'), { recursive: true, filter: (source) => !source.endsWith('.cols.json.gz') });
  const colsBytes = readdirSync(join(dir, 'history')).filter((n) => n.endsWith('.cols.json.gz')).reduce((sum, n) => sum + statSync(join(dir, 'history', n)).size, 0);
  out['… of which the closed days\' cols files (kB)'] = round(colsBytes / 1e3, 0);

  // Paired and interleaved (the machine is shared): from the cols files, then from the lines alone.
  const reads = { cols: [], lines: [] };
  let records = 0;
  for (let i = 0; i < runs; i++) {
    for (const [kind, from] of [['cols', dir], ['lines', linesOnly]]) {
      const started = process.hrtime.bigint();
      records = (await store.readHistory(from)).history.t.length;
      reads[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  out[`heal status reads 30 days × 50 services (${records} scans), closed days from their lines (ms, median of ${runs})`] = round(median(reads.lines), 0);
  out[`heal status reads 30 days × 50 services (${records} scans), closed days from their cols files (ms, median of ${runs})`] = round(median(reads.cols), 0);

  // heal status itself (the built CLI, a process each), the same two folders, interleaved.
  const cli = join(here, '..', '..', 'dist', 'cli.js');
  if (existsSync(cli)) {
    const manifest = join(work, 'history-30d.yaml');
    writeFileSync(manifest, ['version: 1', 'services:', ...Array.from({ length: 50 }, (_, i) => `  service-${String(i).padStart(3, '0')}: { checks: [ { type: port, port: ${20000 + i} } ] }`)].join('\n') + '\n');
    const status = { cols: [], lines: [] };
    for (let i = 0; i < runs; i++) {
      for (const [kind, from] of [['cols', dir], ['lines', linesOnly]]) {
        const started = process.hrtime.bigint();
        const run = spawnSync(process.execPath, [cli, 'status', '--config', manifest, '--state-dir', from], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
        status[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
        if (run.status !== 0) throw new Error(`heal status exited ${run.status}: ${run.stderr}`);
      }
    }
    out[`heal status (the process), closed days from their lines (ms, median of ${runs})`] = round(median(status.lines), 0);
    out[`heal status (the process), closed days from their cols files (ms, median of ${runs})`] = round(median(status.cols), 0);
  }
  return out;
}
