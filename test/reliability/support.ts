/**
 * What the reliability suite shares: a seeded PRNG (a failure names its seed and reproduces),
 * the built CLI started as a killable process group, and small file helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';

/** mulberry32: a tiny seeded PRNG, good enough to pick test cases reproducibly. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
  };
}

export type Rng = {
  /** [0, 1) */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
};

/** The seed of a test: `HEAL_TEST_SEED` when set (to replay a failure), else `fallback`. */
export function seedFrom(fallback: number): number {
  const given = process.env['HEAL_TEST_SEED'];
  return given ? Number(given) : fallback;
}

/** A `heal` process started in its own process group, so a test can wait for its children too. */
export type HealProcess = {
  child: ChildProcess;
  pid: number;
  /** Resolves when heal itself exited: its exit code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
};

/**
 * Waits (up to 20 s) for dist/cli.js: a build running meanwhile (`npm run build` empties dist
 * first) must not fail a long test half-way.
 */
export async function builtCli(): Promise<string> {
  const until = Date.now() + 20_000;
  while (!existsSync(CLI)) {
    if (Date.now() > until) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return CLI;
}

/** Starts `node dist/cli.js ARGS…` as the leader of a new process group (call builtCli() first). */
export function startHeal(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): HealProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, HEAL_CONFIG: '', HEAL_STATE_DIR: '', ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, pid: child.pid as number, exited };
}

/** Resolves once no process is left in the process group `pgid` (heal and whatever it started). */
export async function groupGone(pgid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    if (Date.now() > until) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      throw new Error(`process group ${pgid} still alive after ${timeoutMs}ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lines of a text file (0 when it does not exist). */
export async function countLines(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').length;
}

/** Every file under `dir`, recursively, with its content. */
export async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  if (!existsSync(dir)) return [];
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  return Promise.all(entries.map(async (e) => ({ path: join(e.parentPath, e.name), text: await readFile(join(e.parentPath, e.name), 'latin1') })));
}
