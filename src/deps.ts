/**
 * The effect seam. Everything that reaches outside the process and is not a socket of a check
 * — the clock, sleeping, child processes, the logger, the environment — comes through one
 * `Deps` object built here, so a test can hand in its own clock or `exec` without mocking modules.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { spawnDetached, type DetachOptions, type DetachResult } from './process/detached.js';
import { exec, type ExecOptions, type ExecResult } from './process/exec.js';
import type { Logger } from './log/logger.js';

export { spawnDetached, type DetachedExit, type DetachOptions, type DetachResult } from './process/detached.js';
export { exec, type ExecOptions, type ExecResult } from './process/exec.js';

export type Deps = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A command heal waits for, judged by its exit, in a process group of its own (process/exec.ts). */
  exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult>;
  /** A service that outlives the scan, its output appended to its log, its exit watched (process/detached.ts). */
  spawnDetached(argv: readonly string[], options: DetachOptions): Promise<DetachResult>;
  logger: Logger;
  env: Readonly<Record<string, string | undefined>>;
};

/** Sleeps, resolving early (not rejecting) when the signal aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** The real effects. */
export function createDeps(logger: Logger, env: Readonly<Record<string, string | undefined>> = process.env): Deps {
  return { now: Date.now, sleep, exec, spawnDetached, logger, env };
}
