/**
 * After a restart: re-run the service's checks until they all pass or the verify window
 * (`verify_timeout`) runs out. The checks always run at least once, with their own timeout, even
 * when a slow restart or a busy machine used the window up: a verdict needs a look. Nothing runs
 * past the scan's deadline.
 */
import { runChecks } from '../checks/run.js';
import type { CheckOutcome } from '../checks/types.js';
import type { Deps } from '../deps.js';
import { planCheck, type ServiceConfig } from '../manifest/resolve.js';

export type VerifyOptions = {
  deps: Deps;
  baseDir: string;
  concurrency: number;
  /** When the verify window ends. */
  deadline: number;
  /** The scan's own deadline, which not even the one guaranteed round may pass. */
  scanDeadline: number;
};
export type VerifyResult = { healthy: boolean; outcomes: (CheckOutcome | undefined)[]; rounds: number };

/** Pause between verify rounds: short, so a service that comes up in 300 ms is seen quickly. */
const FIRST_PAUSE_MS = 200;
const MAX_PAUSE_MS = 1_000;

export async function verifyService(service: ServiceConfig, options: VerifyOptions): Promise<VerifyResult> {
  const { deps, deadline } = options;
  // Retries belong to the scan's first look; here the loop itself is the retry.
  const items = service.spec.checks.map((spec, index) => ({ key: String(index), plan: { ...planCheck(service, spec), retries: 0 } }));
  let pause = FIRST_PAUSE_MS;
  let rounds = 0;
  let outcomes: (CheckOutcome | undefined)[] = [];
  for (;;) {
    await deps.sleep(Math.min(pause, Math.max(0, deadline - deps.now())));
    if (deps.now() >= deadline && rounds > 0) break;
    const roundDeadline = rounds === 0 ? Math.min(options.scanDeadline, Math.max(deadline, deps.now() + longestTimeout(items))) : deadline;
    rounds++;
    const results = await runChecks(items, { deps, deadline: roundDeadline, concurrency: options.concurrency, baseDir: options.baseDir });
    outcomes = items.map((item) => results.get(item.key));
    if (outcomes.every((o) => o?.ok)) return { healthy: true, outcomes, rounds };
    if (deps.now() >= deadline) break;
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
  return { healthy: false, outcomes, rounds };
}

function longestTimeout(items: readonly { plan: { timeoutMs: number } }[]): number {
  return Math.max(0, ...items.map((item) => item.plan.timeoutMs));
}
