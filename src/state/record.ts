/**
 * How one scan changes what the state remembers of a service: a pure function of `now`. This is
 * where the breaker moves and where the crash-loop guard marks a service as flapping.
 */
import { breakerAt, CLOSED, onHealFailed, onHealthy } from '../breaker.js';
import { elapsedSince } from '../common/time.js';
import type { DecisionRule } from '../heal/policy.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { CheckRecord, HealRecord, ServiceState } from './schema.js';

/** What the scan ended with for one service. */
export type ServiceScanResult = {
  /** Healthy at the end of the scan (after any heal). */
  healthy: boolean;
  /** The checks as they last ran. */
  checks: CheckRecord[];
  /** The restart attempted in this scan, if any. */
  heal?: HealRecord;
  /** The policy rule that decided the scan. */
  rule: DecisionRule;
};

/** Heal records older than this are forgotten; no rule looks back further. */
export const HEAL_MEMORY_MS = 24 * 3_600_000;
const HEAL_MEMORY_COUNT = 100;
/** Held back by the hourly cap in this many consecutive scans, a service is flapping. */
export const CAP_STREAK_FLAPPING = 2;

export function recordService(
  previous: ServiceState | undefined,
  result: ServiceScanResult,
  service: Pick<ServiceConfig, 'breaker' | 'flapThreshold'>,
  now: number,
): ServiceState {
  const status = result.healthy ? 'up' : 'down';
  const changed = previous?.status !== status;
  const heals = [...(previous?.heals ?? []), ...(result.heal ? [result.heal] : [])]
    .filter((heal) => elapsedSince(heal.at, now) < HEAL_MEMORY_MS)
    .slice(-HEAL_MEMORY_COUNT);

  const breakerBefore = previous?.breaker ?? CLOSED;
  const breaker =
    result.heal?.result === 'failed'
      ? onHealFailed(breakerBefore, service.breaker, now)
      : result.healthy
        ? onHealthy(breakerBefore, service.breaker, now)
        : breakerAt(breakerBefore, now);

  const steady = result.healthy && !result.heal;
  const healedStreak = result.heal?.result === 'healed' ? (previous?.healedStreak ?? 0) + 1 : steady ? 0 : (previous?.healedStreak ?? 0);
  const capStreak = result.rule === 'hourly-cap' ? (previous?.capStreak ?? 0) + 1 : result.heal || result.healthy ? 0 : (previous?.capStreak ?? 0);
  const steadyScans = steady ? (previous?.steadyScans ?? 0) + 1 : 0;

  return {
    status,
    since: changed || !previous ? now : previous.since,
    lastScanAt: now,
    failingScans: result.healthy ? 0 : (previous?.failingScans ?? 0) + 1,
    healthyScans: result.healthy ? (previous?.healthyScans ?? 0) + 1 : 0,
    checks: result.checks,
    heals,
    breaker,
    healedStreak,
    capStreak,
    steadyScans,
    flapping: nextFlapping(previous?.flapping, { healedStreak, capStreak, steadyScans }, service, now),
  };
}

/** The crash-loop guard: set on a streak of heals or of cap hits; lifted once the service stays up on its own. */
function nextFlapping(
  current: ServiceState['flapping'],
  counts: { healedStreak: number; capStreak: number; steadyScans: number },
  service: Pick<ServiceConfig, 'breaker' | 'flapThreshold'>,
  now: number,
): ServiceState['flapping'] {
  if (current) return counts.steadyScans >= service.breaker.success_threshold ? undefined : current;
  if (counts.healedStreak >= service.flapThreshold) return { since: now, reason: `healed in ${counts.healedStreak} consecutive scans` };
  if (counts.capStreak >= CAP_STREAK_FLAPPING) return { since: now, reason: `held back by the hourly cap in ${counts.capStreak} consecutive scans` };
  return undefined;
}

/** The error of a heal recorded before its restart ran, by a scan that never recorded its outcome. */
export const INTERRUPTED_HEAL = 'interrupted: heal stopped before it recorded how this restart went';

/**
 * The service's state with a heal written down before its restart runs (the intent), so a scan
 * killed between the restart and the save still counts it for the cooldown and the hourly cap.
 * Saved as a failed heal; the scan's own save replaces it with the outcome. The breaker and the
 * streaks are left as they are: nobody saw the restart fail.
 */
export function withHealIntent(previous: ServiceState | undefined, at: number): ServiceState {
  const intent: HealRecord = { at, result: 'failed', error: INTERRUPTED_HEAL };
  if (previous) return { ...previous, heals: [...previous.heals, intent] };
  return { status: 'down', since: at, lastScanAt: at, failingScans: 0, healthyScans: 0, checks: [], heals: [intent], breaker: CLOSED, healedStreak: 0, capStreak: 0, steadyScans: 0 };
}
