/**
 * The process groups of the commands heal waits for (command checks, waited restarts, `stop`,
 * launchctl, systemctl). Each runs as the leader of a process group of its own, so ending it ends
 * what it started too: a timeout, an abort or heal being stopped signals the whole group
 * (`kill -- -pgid`), never one pid, and leaves no orphan behind. A service started with
 * `detach: true` is never registered here: it must outlive the scan.
 */
import type { ChildProcess } from 'node:child_process';
import { within } from '../common/deadline.js';

/** Running group leaders: pgid → resolves when the leader exited. */
const running = new Map<number, Promise<void>>();
/** Groups sent SIGTERM that get SIGKILL after their grace, or when heal exits, whichever is first. */
const doomed = new Set<number>();
let stoppedBy: NodeJS.Signals | undefined;

process.on('exit', () => {
  for (const pgid of doomed) signalGroup(pgid, 'SIGKILL');
});

/** Sends `signal` to every process of the group `pgid`; false when none was left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Remembers a child spawned as a group leader until it exits, so {@link stopAllGroups} can end it. */
export function trackGroup(child: ChildProcess): void {
  const pgid = child.pid;
  if (pgid === undefined) return;
  running.set(
    pgid,
    new Promise((resolve) => {
      child.once('exit', () => {
        running.delete(pgid);
        resolve();
      });
    }),
  );
}

/** Ends the group `pgid`: SIGTERM now, SIGKILL after `graceMs` (at the latest when heal exits). */
export function endGroup(pgid: number, graceMs: number): void {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  doomed.add(pgid);
  setTimeout(() => {
    if (doomed.delete(pgid)) signalGroup(pgid, 'SIGKILL');
  }, graceMs).unref();
}

/** The signal heal is being stopped by, once {@link stopAllGroups} ran; new commands must not start. */
export function stoppingBy(): NodeJS.Signals | undefined {
  return stoppedBy;
}

/**
 * Heal is being stopped: every running group gets SIGTERM, and SIGKILL when its leader has not
 * exited within `graceMs`. Resolves with how many groups were running, once all are signalled.
 */
export async function stopAllGroups(signal: NodeJS.Signals, graceMs: number): Promise<number> {
  stoppedBy ??= signal;
  const groups = [...running];
  for (const [pgid] of groups) endGroup(pgid, graceMs);
  await within(Promise.all(groups.map(([, exited]) => exited)), graceMs, () => undefined);
  // A leader that exited on SIGTERM may leave members that ignored it: they go too.
  for (const [pgid] of groups) if (doomed.delete(pgid)) signalGroup(pgid, 'SIGKILL');
  return groups.length;
}
