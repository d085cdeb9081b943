/**
 * The effect seam. Everything that reaches outside the process and is not a socket of a check
 * — the clock, sleeping, child processes, the logger, the environment — comes through one
 * `Deps` object built here, so a test can hand in its own clock or `exec` without mocking modules.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from './logger.js';

export type ExecOptions = {
  /** Killed (SIGTERM, then SIGKILL) when this runs out. */
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
};

/** How a child process ended. Never an exception: a missing program is `failed` with a reason. */
export type ExecResult = {
  exitCode: number | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Set when it did not exit 0: a one-line reason ("exit 1: …", "timed out after 3s", "not found"). */
  failure?: string;
  /** The program could not be started at all (ENOENT, EACCES). */
  notFound?: boolean;
};

export type DetachOptions = { cwd?: string; env?: Record<string, string>; logFile: string };
export type DetachResult = { ok: true; pid: number } | { ok: false; error: string };

export type Deps = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult>;
  spawnDetached(argv: readonly string[], options: DetachOptions): Promise<DetachResult>;
  logger: Logger;
  env: Readonly<Record<string, string | undefined>>;
};

/** Sleeps, resolving early (not rejecting) when the signal aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

const KILL_GRACE_MS = 2_000;

/** Runs argv (never through a shell) with a hard timeout; execa is loaded only when needed. */
export async function exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) return { exitCode: undefined, timedOut: false, stdout: '', stderr: '', failure: 'no program given' };
  const { execa } = await import('execa');
  const child = execa(file, args, {
    reject: false,
    shell: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    forceKillAfterDelay: KILL_GRACE_MS,
    cancelSignal: options.signal,
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    maxBuffer: 1_000_000,
    stripFinalNewline: true,
  });
  // A grandchild that keeps our pipes open must not hold the scan: give up on it after the grace.
  const guard = new Promise<'guard'>((resolve) => {
    const timer = setTimeout(() => resolve('guard'), options.timeoutMs + KILL_GRACE_MS * 2);
    timer.unref();
  });
  const result = await Promise.race([child, guard]);
  if (result === 'guard') {
    child.kill('SIGKILL');
    return { exitCode: undefined, timedOut: true, stdout: '', stderr: '', failure: `timed out after ${options.timeoutMs}ms` };
  }
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  const base = { exitCode: result.exitCode, timedOut: result.timedOut, stdout, stderr };
  if (!result.failed) return base;
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT' || code === 'EACCES') {
    return { ...base, notFound: true, failure: `${file}: ${code === 'ENOENT' ? 'not found' : 'permission denied'}` };
  }
  if (result.timedOut) return { ...base, failure: `timed out after ${options.timeoutMs}ms` };
  if (result.isCanceled) return { ...base, failure: 'cancelled at the scan deadline' };
  const said = firstLine(stderr) || firstLine(stdout);
  const how = result.exitCode !== undefined ? `exit ${result.exitCode}` : `killed by ${result.signal ?? 'a signal'}`;
  return { ...base, failure: said ? `${how}: ${said}` : how };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line.trim();
}

/**
 * Starts argv as a detached process (its own session, not waited for) whose stdout and stderr
 * append to `logFile`. Resolves once the process has started or failed to.
 */
export function spawnDetached(argv: readonly string[], options: DetachOptions): Promise<DetachResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve({ ok: false, error: 'no program given' });
  mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
  const fd = openSync(options.logFile, 'a', 0o600);
  return new Promise((resolve) => {
    try {
      const child = spawn(file, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        detached: true,
        stdio: ['ignore', fd, fd],
        shell: false,
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        closeSync(fd);
        resolve({ ok: false, error: error.code === 'ENOENT' ? `${file}: not found` : `${file}: ${error.message}` });
      });
      child.once('spawn', () => {
        closeSync(fd);
        child.unref();
        resolve({ ok: true, pid: child.pid as number });
      });
    } catch (error) {
      closeSync(fd);
      resolve({ ok: false, error: `${file}: ${(error as Error).message}` });
    }
  });
}

/** The real effects. */
export function createDeps(logger: Logger, env: Readonly<Record<string, string | undefined>> = process.env): Deps {
  return { now: Date.now, sleep, exec, spawnDetached, logger, env };
}
