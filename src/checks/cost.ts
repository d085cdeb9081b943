import type { CheckSpec } from './schema.js';

/** Rough cost of one check type, cheapest first: what an open breaker still runs as its probe. */
const COST: Record<CheckSpec['type'], number> = { port: 0, file: 1, systemd: 2, launchd: 2, http: 3, command: 4 };

/** The index of the cheapest check of a service (the first of equals). */
export function cheapestCheckIndex(checks: readonly CheckSpec[]): number {
  let best = 0;
  checks.forEach((check, index) => {
    if (COST[check.type] < COST[(checks[best] as CheckSpec).type]) best = index;
  });
  return best;
}
