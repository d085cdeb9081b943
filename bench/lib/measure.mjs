// Runs a command several times under GNU time: wall time and peak RSS, median / min / max.
import { spawn } from 'node:child_process';

/** One run: { wallMs, maxRssKb, code }. stdout/stderr are discarded. */
export function runOnce(argv, { env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', ...argv], { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const lines = stderr.trim().split('\n');
      const maxRssKb = Number(lines.at(-1));
      // GNU time prints "Command exited with non-zero status N" before the figure.
      const exited = /Command exited with non-zero status (\d+)/.exec(stderr);
      resolve({ wallMs, maxRssKb, code: exited ? Number(exited[1]) : code });
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

export function summarise(samples) {
  const stat = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median: round(median), min: round(sorted[0]), max: round(sorted.at(-1)) };
  };
  return {
    runs: samples.length,
    wallMs: stat(samples.map((s) => s.wallMs)),
    maxRssMb: stat(samples.map((s) => s.maxRssKb / 1024)),
    exitCodes: [...new Set(samples.map((s) => s.code))],
  };
}

const round = (n) => Math.round(n * 10) / 10;
