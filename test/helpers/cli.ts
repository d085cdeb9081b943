/** Runs the built CLI (dist/cli.js) as a real child process, in a scratch workspace. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { withClock } from './faketime.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export type HealRun = { code: number; stdout: string; stderr: string };

/**
 * Runs `heal ARGS…` and resolves with its exit code and output; never rejects on a non-zero exit.
 * With `clock` (faketime's `-f` form, e.g. "2026-12-02 12:00:00"), heal's wall clock stands at that
 * instant (its timers still run): what it says about "now" is then the same on any day.
 */
export function runHeal(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; clock?: string } = {}): Promise<HealRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const env = { ...process.env, HEAL_CONFIG: '', HEAL_STATE_DIR: '', ...options.env };
  const run = options.clock === undefined
    ? { file: process.execPath, args: [CLI, ...args], env }
    : withClock(options.clock, [process.execPath, CLI, ...args], { ...env, FAKETIME_DONT_FAKE_MONOTONIC: '1' });
  return new Promise((resolve) => {
    execFile(
      run.file,
      run.args,
      { cwd: options.cwd, env: run.env, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export type Workspace = {
  dir: string;
  manifest: string;
  stateDir: string;
  /** Rewrites services.yaml. */
  write(text: string): Promise<void>;
  /** `heal ARGS… --config <manifest>` (and --state-dir for the commands that take it). */
  heal(...args: string[]): Promise<HealRun>;
  /** `ws.heal(ARGS…)` with heal's wall clock standing at `clock` (faketime's form, e.g. "2026-12-02 12:00:00"). */
  healAt(clock: string, ...args: string[]): Promise<HealRun>;
  /** Kills every process whose pid a test wrote to a `*.pid` file here, then removes the folder. */
  cleanup(): Promise<void>;
};

/**
 * A scratch folder with a services.yaml. `options.env` is added to the environment of every
 * `ws.heal(…)` child (on top of process.env), e.g. PATH with the fake supervisors first.
 * Made inside a test, it cleans itself up when the test finishes; made in a beforeAll, the file
 * that made it calls `cleanup()` (in its afterAll).
 */
export async function workspace(manifestText = '', options: { env?: Record<string, string> } = {}): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'heal-e2e-'));
  const manifest = join(dir, 'services.yaml');
  const stateDir = join(dir, 'state');
  const pidFiles = new Set<string>();
  const ws: Workspace = {
    dir,
    manifest,
    stateDir,
    async write(text) {
      for (const match of text.matchAll(/([\w./-]+\.pid)\b/g)) pidFiles.add(match[1] as string);
      await writeFile(manifest, text);
    },
    heal(...args) {
      return ws.healAt('', ...args);
    },
    healAt(clock, ...args) {
      const withState = ['scan', 'status', 'reset', 'incidents'].includes(args[0] ?? '') ? ['--state-dir', stateDir] : [];
      return runHeal([...args, '--config', manifest, ...withState], { cwd: dir, env: { ...ownHome(dir), ...options.env }, ...(clock ? { clock } : {}) });
    },
    async cleanup() {
      for (const file of pidFiles) await killPidFile(file.startsWith('/') ? file : join(dir, file));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    onTestFinished(() => ws.cleanup());
  } catch {
    // Not inside a test (a beforeAll): the caller cleans up.
  }
  if (manifestText) await ws.write(manifestText);
  return ws;
}

/** A workspace's own HOME and cache, inside its folder: what one test's heal writes stays there. */
function ownHome(dir: string): Record<string, string> {
  const home = join(dir, 'home');
  return { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), XDG_STATE_HOME: join(home, '.local', 'state'), XDG_CONFIG_HOME: join(home, '.config') };
}

/** Sends SIGKILL to the pid in a file, if the file exists and the process is alive. */
export async function killPidFile(path: string): Promise<number | undefined> {
  const pid = Number(await readFile(path, 'utf8').catch(() => ''));
  if (!pid) return undefined;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return undefined;
  }
  return pid;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `probe` returns true, or rejects after `timeoutMs`. */
export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs}ms`);
}

/** True when a process with this pid is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
