/**
 * Stopping an old process gracefully: SIGTERM, a grace period, then SIGKILL. Used by the
 * `command` restarter before it starts the new process: the pid in its `pidfile`, and the process
 * its last detached start made.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Deps } from '../deps.js';
import { formatDuration } from '../common/duration.js';
import { probePid } from '../process/identity.js';

/** How often a process is looked at while it has time to exit. */
const POLL_MS = 50;
/** How long a SIGKILLed process may take to be gone. */
const AFTER_KILL_MS = 1_000;

/** The most of a pid file read: a pid and its newline, with room to spare. */
const PIDFILE_BYTES = 64;

/**
 * The pid a pid file holds, or undefined when the file is missing, empty or not a pid. Opened
 * without blocking and read only if it is a regular file: a FIFO in its place cannot hold the scan.
 */
export async function readPidFile(path: string): Promise<number | undefined> {
  const text = await readSmallFile(path).catch(() => '');
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  // 0 and 1 are never a service (0 would signal our own process group); nor are we.
  return pid > 1 && pid !== process.pid ? pid : undefined;
}

async function readSmallFile(path: string): Promise<string> {
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await file.stat()).isFile()) return '';
    const buffer = Buffer.alloc(PIDFILE_BYTES);
    const { bytesRead } = await file.read(buffer, 0, PIDFILE_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}

/** What stopping a pid came to. */
export type StopResult =
  | { outcome: 'not running' }
  | { outcome: 'terminated'; afterMs: number }
  | { outcome: 'killed'; afterMs: number }
  | { outcome: 'failed'; error: string };

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `ms` for the pid to be gone; true when it is. */
async function waitGone(pid: number, ms: number, deps: Pick<Deps, 'now' | 'sleep'>, abort?: AbortSignal): Promise<boolean> {
  const until = deps.now() + ms;
  for (;;) {
    if (probePid(pid) === 'gone') return true;
    if (deps.now() >= until || abort?.aborted) return false;
    await deps.sleep(Math.min(POLL_MS, until - deps.now()), abort);
  }
}

/** Sends SIGTERM, gives the process `graceMs` to exit, then SIGKILL. Never throws. */
export async function stopPid(pid: number, graceMs: number, deps: Pick<Deps, 'now' | 'sleep'>, abort?: AbortSignal): Promise<StopResult> {
  const state = probePid(pid);
  if (state === 'gone') return { outcome: 'not running' };
  if (state === 'foreign') return { outcome: 'failed', error: `pid ${pid} belongs to another user: not stopped` };
  const started = deps.now();
  if (!signal(pid, 'SIGTERM')) return { outcome: 'not running' };
  if (await waitGone(pid, graceMs, deps, abort)) return { outcome: 'terminated', afterMs: deps.now() - started };
  signal(pid, 'SIGKILL');
  if (await waitGone(pid, AFTER_KILL_MS, deps)) return { outcome: 'killed', afterMs: deps.now() - started };
  return { outcome: 'failed', error: `pid ${pid} still alive after SIGKILL` };
}

/** Stops the process a pid file names; a line for the restart's detail, or undefined when nothing ran. */
export async function stopPidFile(path: string, graceMs: number, deps: Pick<Deps, 'now' | 'sleep'>, abort?: AbortSignal): Promise<string | undefined> {
  const pid = await readPidFile(path);
  return pid === undefined ? undefined : stopPidNote(pid, graceMs, deps, abort);
}

/** {@link stopPid} as a line for the restart's detail, or undefined when nothing ran. */
export async function stopPidNote(pid: number, graceMs: number, deps: Pick<Deps, 'now' | 'sleep'>, abort?: AbortSignal): Promise<string | undefined> {
  const stopped = await stopPid(pid, graceMs, deps, abort);
  switch (stopped.outcome) {
    case 'not running':
      return undefined;
    case 'terminated':
      return `old pid ${pid} exited on SIGTERM after ${formatDuration(stopped.afterMs)}`;
    case 'killed':
      return `old pid ${pid} ignored SIGTERM for ${formatDuration(graceMs)}: SIGKILLed`;
    case 'failed':
      return stopped.error;
  }
}
