/**
 * After a restart: re-run the service's checks until they all pass or the verify window
 * (`verify_timeout`, cut to the scan's deadline) runs out.
 */
import { runChecks } from '../checks/run.js';
import type { CheckOutcome } from '../checks/types.js';
import type { Deps } from '../deps.js';
import { planCheck, type ServiceConfig } from '../manifest/resolve.js';

export type VerifyOptions = { deps: Deps; baseDir: string; concurrency: number; deadline: number };
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
    rounds++;
    const results = await runChecks(items, { deps, deadline, concurrency: options.concurrency, baseDir: options.baseDir });
    outcomes = items.map((item) => results.get(item.key));
    if (outcomes.every((o) => o?.ok)) return { healthy: true, outcomes, rounds };
    if (deps.now() >= deadline) break;
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
  return { healthy: false, outcomes, rounds };
}
