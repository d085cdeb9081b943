/** How one scan changes what the state remembers of a service: a pure function of `now`. */
import type { CheckRecord, HealRecord, ServiceState } from './schema.js';

/** What the scan ended with for one service. */
export type ServiceScanResult = {
  /** Healthy at the end of the scan (after any heal). */
  healthy: boolean;
  /** The checks as they last ran. */
  checks: CheckRecord[];
  /** The restart attempted in this scan, if any. */
  heal?: HealRecord;
};

/** Heal records older than this are forgotten; no rule looks back further. */
export const HEAL_MEMORY_MS = 24 * 3_600_000;
const HEAL_MEMORY_COUNT = 100;

export function recordService(previous: ServiceState | undefined, result: ServiceScanResult, now: number): ServiceState {
  const status = result.healthy ? 'up' : 'down';
  const changed = previous?.status !== status;
  const heals = [...(previous?.heals ?? []), ...(result.heal ? [result.heal] : [])]
    .filter((heal) => now - heal.at < HEAL_MEMORY_MS)
    .slice(-HEAL_MEMORY_COUNT);
  return {
    status,
    since: changed || !previous ? now : previous.since,
    lastScanAt: now,
    failingScans: result.healthy ? 0 : (previous?.failingScans ?? 0) + 1,
    healthyScans: result.healthy ? (previous?.healthyScans ?? 0) + 1 : 0,
    checks: result.checks,
    heals,
  };
}
