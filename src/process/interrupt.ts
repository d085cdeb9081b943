/**
 * What heal does when it is told to stop — SIGTERM (launchd and systemd stopping its job, `kill`),
 * SIGINT (Ctrl-C) or SIGHUP (its terminal closed): it ends the checks and restart commands it is
 * running (each its whole process group, SIGTERM then SIGKILL), runs what was registered with
 * {@link onInterrupt} (the scan's lock release), and exits 128 + the signal's number (143, 130,
 * 129). A service it started with `detach: true` is in a session of its own and is left running.
 * The scan in progress is abandoned where it stands, as after a kill: what it already saved
 * stays (a heal is saved before its restart runs), nothing cut short by the stop is recorded.
 */
import { constants } from 'node:os';
import { within } from '../common/deadline.js';
import { stopAllGroups } from './group.js';

/** Time the running commands get to exit on SIGTERM before SIGKILL, and the cleanups to finish. */
export const STOP_GRACE_MS = 1_000;

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const cleanups = new Set<() => unknown>();

/** Runs `cleanup` if heal is stopped by a signal before the returned function is called. */
export function onInterrupt(cleanup: () => unknown): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** The exit code of a process stopped by `signal`: 128 + its number, as a shell reports it. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Installs the handlers; call once, at start-up. */
export function handleInterrupts(): void {
  const exit = (code: number): never => process.exit(code);
  let stopping = false;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      const code = exitCodeForSignal(signal);
      // A second signal while stopping: stop waiting.
      if (stopping) return exit(code);
      stopping = true;
      void stop(signal).then(
        (line) => {
          // Written before exiting (stderr may be an asynchronous pipe, on macOS), but never waited on long.
          setTimeout(() => exit(code), 500).unref();
          process.stderr.write(line, () => exit(code));
        },
        () => exit(code),
      );
    });
  }
}

async function stop(signal: NodeJS.Signals): Promise<string> {
  // Commands first: a scan that takes the lock next must not overlap a restart still running.
  const ended = await stopAllGroups(signal, STOP_GRACE_MS);
  const cleaned = await within(Promise.allSettled([...cleanups].map(async (cleanup) => cleanup())), STOP_GRACE_MS * 2, () => 'late' as const);
  const commands = ended === 1 ? '1 running command' : `${ended} running commands`;
  const problems =
    cleaned === 'late'
      ? ['cleanup did not finish in time']
      : cleaned.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  return `heal: stopped by ${signal}: ended ${commands}${problems.map((p) => `; ${p}`).join('')}; exit ${exitCodeForSignal(signal)}\n`;
}
