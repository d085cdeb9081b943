/**
 * What the reliability suite shares: a seeded PRNG (a failure names its seed and reproduces),
 * the built CLI started as a killable process group, and small file helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * heal runs each command in a process group of its own, so a test finds what one heal started by
 * a tag in its environment (HEAL_TEST_TAG), which every child inherits.
 */
const tags = new Map<number, string>();
let started = 0;

/** Starts `node dist/cli.js ARGS…` as the leader of a new process group (call builtCli() first). */
export function startHeal(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): HealProcess {
  const tag = `heal-test-${process.pid}-${++started}`;
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, HEAL_CONFIG: '', HEAL_STATE_DIR: '', ...options.env, HEAL_TEST_TAG: tag },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) tags.set(child.pid, tag);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, pid: child.pid as number, exited };
}

/**
 * Resolves once no process is left that heal `pgid` (started by startHeal) or anything it started
 * runs: its process group, and the commands it ran in groups of their own (found by their tag).
 */
export async function groupGone(pgid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const tag = tags.get(pgid);
  for (;;) {
    const left = [...(groupAlive(pgid) ? [-pgid] : []), ...(tag ? await pidsTagged(tag, pgid) : [])];
    if (left.length === 0) return;
    if (Date.now() > until) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      throw new Error(`heal ${pgid} left processes alive after ${timeoutMs}ms: ${left.join(' ')}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** pids are handed out rising, wrapping at this; a few thousand after heal's own hold its children. */
const PID_MAX = ((): number => {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || 4_194_304;
  } catch {
    return 4_194_304;
  }
})();
const CHILD_PID_WINDOW = 8_192;

/**
 * Live processes whose environment holds HEAL_TEST_TAG=`tag` (Linux; none elsewhere). Only the
 * pids handed out after `after` (heal's own, wrapping at pid_max) are read: reading every
 * process's environment after each of the crash test's two hundred scans would cost seconds.
 */
export async function pidsTagged(tag: string, after: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const needle = `HEAL_TEST_TAG=${tag}\0`;
  const later = (pid: number): boolean => {
    const distance = (pid - after + PID_MAX) % PID_MAX;
    return distance > 0 && distance <= CHILD_PID_WINDOW;
  };
  const pids = await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name) && later(Number(name)))
      .map(async (name) => ((await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '')).includes(needle) ? Number(name) : undefined)),
  );
  return pids.filter((pid): pid is number => pid !== undefined);
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
