// Runs commands under GNU time: wall time, peak RSS and CPU time (user + sys), median / min / max;
// alone, or several side by side in interleaved rounds (A, B, A, B…) with the ratios of each round.
import { spawn } from 'node:child_process';

/**
 * The environment every subject runs in: this one without NODE_EXTRA_CA_CERTS, which launchd and
 * cron do not set and which costs every Node start ~75 ms of reading certificates.
 */
export const benchEnv = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();

/** One run: { wallMs, maxRssKb, cpuMs, code }. stdout/stderr are discarded. */
export function runOnce(argv, { env = benchEnv, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', ...argv], { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const lines = stderr.trim().split('\n');
      const [rss, user, sys] = (lines.at(-1) ?? '').split(' ').map(Number);
      const maxRssKb = rss;
      const cpuMs = (user + sys) * 1000;
      // GNU time prints "Command exited with non-zero status N" before the figure.
      const exited = /Command exited with non-zero status (\d+)/.exec(stderr);
      resolve({ wallMs, maxRssKb, cpuMs, code: exited ? Number(exited[1]) : code });
    });
  });
}

/** Runs `runs` times (after one warm-up run) and summarises. */
export async function measure(argv, { runs = 5, warmup = 1, ...options } = {}) {
  for (let i = 0; i < warmup; i++) await runOnce(argv, options);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await runOnce(argv, options));
  return summarise(samples);
}

/**
 * Runs the subjects ({ name: argv }) side by side: one warm-up each, then `runs` rounds, each
 * running every subject once in turn, so a load that comes and goes weighs on all alike. Returns
 * { summaries: { name: summary }, rounds: [{ name: sample }] } (ratios are taken per round).
 */
export async function measurePaired(subjects, { runs = 5, warmup = 1, ...options } = {}) {
  const names = Object.keys(subjects);
  for (let i = 0; i < warmup; i++) for (const name of names) await runOnce(subjects[name], options);
  const rounds = [];
  for (let i = 0; i < runs; i++) {
    const round = {};
    for (const name of names) round[name] = await runOnce(subjects[name], options);
    rounds.push(round);
  }
  const summaries = Object.fromEntries(names.map((name) => [name, summarise(rounds.map((r) => r[name]))]));
  return { summaries, rounds };
}

/** The median over rounds of a / b (wall time, or another field), two decimals; null when missing. */
export function pairedRatio(rounds, a, b, field = 'wallMs') {
  const ratios = rounds.filter((r) => r[a] && r[b]).map((r) => r[a][field] / r[b][field]);
  return ratios.length ? Math.round(median(ratios) * 100) / 100 : null;
}

export function summarise(samples) {
  const stat = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { median: round(median(values)), min: round(sorted[0]), max: round(sorted.at(-1)) };
  };
  return {
    runs: samples.length,
    wallMs: stat(samples.map((s) => s.wallMs)),
    cpuMs: stat(samples.map((s) => s.cpuMs)),
    maxRssMb: stat(samples.map((s) => s.maxRssKb / 1024)),
    exitCodes: [...new Set(samples.map((s) => s.code))],
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (n) => Math.round(n * 10) / 10;
