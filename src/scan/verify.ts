/**
 * After a restart: re-run the service's checks until they all pass (those with `on_fail: alert`
 * aside) or the verify window
 * (`verify_timeout`) runs out. The checks always run at least once, with their own timeout, even
 * when a slow restart or a busy machine used the window up: a verdict needs a look. Nothing runs
 * past the scan's deadline. A service started detached is watched meanwhile: when its process
 * fails (a non-zero exit or a signal) before the checks pass, the wait ends there, and the result
 * says how it ended; a process that exits 0 may have daemonised itself, so then only the checks
 * decide.
 */
import { runChecks } from '../checks/run.js';
import type { CheckOutcome, PidLookup } from '../checks/types.js';
import type { DetachedExit, Deps } from '../deps.js';
import { planCheck, type ServiceConfig } from '../manifest/resolve.js';
import { pidRequest } from '../restart/service-pid.js';

export type VerifyOptions = {
  deps: Deps;
  baseDir: string;
  concurrency: number;
  /** When the verify window ends. */
  deadline: number;
  /** The scan's own deadline, which not even the one guaranteed round may pass. */
  scanDeadline: number;
  /** A service started detached: resolves when its process exits. */
  exited?: Promise<DetachedExit>;
  /** The service's pid after the restart, for its process checks. */
  pid?: PidLookup;
};
export type VerifyResult = {
  healthy: boolean;
  outcomes: (CheckOutcome | undefined)[];
  rounds: number;
  /** The detached process had exited by the time verify gave up. */
  exited?: DetachedExit;
};

/** Pause between verify rounds: short, so a service that comes up in 300 ms is seen quickly. */
const FIRST_PAUSE_MS = 200;
const MAX_PAUSE_MS = 1_000;

/** An exit that is a failure: non-zero, or a signal. Exit 0 may be a service that daemonised itself. */
export function failedExit(exit: DetachedExit): boolean {
  return exit.code !== 0 || exit.signal !== null;
}

export async function verifyService(service: ServiceConfig, options: VerifyOptions): Promise<VerifyResult> {
  const { deps, deadline } = options;
  // Retries belong to the scan's first look; here the loop itself is the retry.
  const items = service.spec.checks.map((spec, index) => ({ key: String(index), plan: { ...planCheck(service, spec), retries: 0 }, ...pidRequest(service.name, spec, options.pid) }));
  // A detached process that fails ends the wait: nothing will come up. Exit 0 only the checks judge.
  let exited: DetachedExit | undefined;
  const died = new AbortController();
  void options.exited?.then((exit) => {
    exited = exit;
    if (failedExit(exit)) died.abort();
  });
  let pause = FIRST_PAUSE_MS;
  let rounds = 0;
  let outcomes: (CheckOutcome | undefined)[] = [];
  for (;;) {
    await deps.sleep(Math.min(pause, Math.max(0, deadline - deps.now())), died.signal);
    if ((deps.now() >= deadline || died.signal.aborted) && rounds > 0) break;
    const roundDeadline = rounds === 0 ? Math.min(options.scanDeadline, Math.max(deadline, deps.now() + longestTimeout(items))) : deadline;
    rounds++;
    const results = await runChecks(items, { deps, deadline: roundDeadline, concurrency: options.concurrency, baseDir: options.baseDir });
    outcomes = items.map((item) => results.get(item.key));
    // Checks that only alert (on_fail: alert) do not hold a verdict back: they never restart it.
    if (outcomes.every((o, index) => o?.ok || service.spec.checks[index]?.on_fail === 'alert')) return { healthy: true, outcomes, rounds };
    if (deps.now() >= deadline || died.signal.aborted) break;
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
  return { healthy: false, outcomes, rounds, ...(exited ? { exited } : {}) };
}

function longestTimeout(items: readonly { plan: { timeoutMs: number } }[]): number {
  return Math.max(0, ...items.map((item) => item.plan.timeoutMs));
}

/**
 * How a detached service ended, for the report and the alert: "exited with code 2 right after
 * start: <the last lines of its log>". Exit 0 says "exited with code 0": it may have daemonised.
 */
export function describeExit(exit: DetachedExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const said = exit.lastLines.length ? `: ${exit.lastLines.join(' | ')}` : ' (nothing in its log)';
  return `${how} right after start${said}`;
}
