/**
 * Whether to restart a service now: a pure function of its settings, what the state remembers,
 * what its checks saw and the clock. Every "no" names the rule behind it and, where it ends,
 * when — so `--dry-run`, reports and alerts can say why.
 *
 * The rules, in the order they are asked:
 *  1. healthy                  nothing to do
 *     maintenance              a maintenance window holds its restarts (unless it says restart: true)
 *  2. waiting-on-parent        a service it depends on is still down: heal that first
 *  3. no-restart               nothing configured to restart it with
 *  4. flapping / breaker-open  the breaker is open — the service flaps, or its heals kept failing,
 *                              or it went down again on probation: one restart when it half-opens
 *  5. starting                 restarted less than start_grace ago: still booting, not failed
 *  6. cooldown                 restarted less than cooldown ago (less the schedule slack)
 *  7. hourly-cap               max_heals_per_hour reached in the last sliding hour
 *  8. restart                  (half-open-trial when the breaker lets one through)
 *
 * A service whose checks pass (or only its `on_fail: alert` checks fail: `degraded`) is restarted
 * all the same when it has `restart_with_parent` and a service it depends on was restarted in this
 * scan (rule `parent-restarted`), under its own rules 4–7.
 *
 * Together they are a ladder that never ends in "never": every hold names when it ends, and the
 * breaker's wait doubles only up to max_open_for, then heal tries again.
 *
 * Every wait is measured with common/time.ts: a restart remembered "in the future" (the clock
 * was set back) counts as made now, so no rule holds a restart back longer than its own setting.
 */
import { breakerAt, CLOSED, halfOpensAt, onFoundDown, type BreakerState } from './breaker.js';
import { scheduleSlackMs } from '../common/schedule-slack.js';
import { elapsedSince, waitEndsAt } from '../common/time.js';
import { formatDuration } from '../common/duration.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { ServiceState } from '../state/schema.js';
import { HOUR_MS, type HealDecision, type RestartsStopped } from './rules.js';

// A cooldown (like a breaker's open time) with less than its schedule slack left counts as over.
export { SCHEDULE_SLACK_FRACTION, SCHEDULE_SLACK_MS, scheduleSlackMs } from '../common/schedule-slack.js';

/**
 * When the cooldown after a restart at `lastHealAt` ends, seen at `now`: the cooldown less its
 * schedule slack, never later than that from `now` (a restart "in the future" counts as made
 * now). The decision and `heal status` both ask this.
 */
export function cooldownEndsAt(lastHealAt: number, cooldownMs: number, now: number): number {
  return waitEndsAt(lastHealAt, cooldownMs - scheduleSlackMs(cooldownMs), now);
}

/** The restarts of `heals` made within the hour before `now` (one "in the future" counts as now). */
export function healsInLastHour<T extends { at: number }>(heals: readonly T[], now: number): T[] {
  return heals.filter((heal) => elapsedSince(heal.at, now) < HOUR_MS);
}

/**
 * While `max` restarts were made in the last hour: when enough of them leave the hour to bring
 * the count below the cap. Undefined when a restart is allowed now.
 */
export function hourlyCapEndsAt(heals: readonly { at: number }[], max: number, now: number): number | undefined {
  const inHour = healsInLastHour(heals, now);
  if (inHour.length < max) return undefined;
  const leaving = inHour.map((heal) => heal.at).sort((a, b) => a - b)[inHour.length - max] ?? now;
  return waitEndsAt(leaving, HOUR_MS, now);
}

export type PolicyInput = {
  service: ServiceConfig;
  previous: ServiceState | undefined;
  /** No check whose failure restarts the service failed (`on_fail: restart`, the default). */
  healthy: boolean;
  /** Only `on_fail: alert` checks failed: the service answers, but not as it should. */
  degraded?: boolean;
  /** Services it depends on that are down after their own heal. */
  parentsDown: readonly string[];
  /** Services it depends on that a restart brought back in this scan (for `restart_with_parent`). */
  parentsRestarted?: readonly string[];
  /** The maintenance window holding it now, if any (policy/maintenance.ts). */
  maintenance?: { name: string; untilMs: number; restart: boolean } | undefined;
  now: number;
};

export function decideHeal({ service, previous, healthy, degraded, parentsDown, parentsRestarted = [], maintenance, now }: PolicyInput): HealDecision {
  // A window that holds restarts is asked right after healthy, before every other rule.
  const held = maintenance && !maintenance.restart ? maintenance : undefined;
  if (healthy) {
    const settled: HealDecision = degraded ? { action: 'none', rule: 'degraded', reason: 'only checks with on_fail: alert fail' } : { action: 'none', rule: 'healthy' };
    if (!service.spec.restart_with_parent || !service.spec.restart || !parentsRestarted.length) return settled;
    if (held) return { ...settled, note: `not restarted with ${parentsRestarted.join(', ')}: in maintenance (${held.name}) until ${new Date(held.untilMs).toISOString()}` };
    // Restarted with its parent, under its own breaker, cooldown and caps.
    const parents = parentsRestarted.join(', ');
    const hold = heldBack(service, previous, breakerAt(previous?.breaker ?? CLOSED, now), now);
    if (hold) return { ...settled, note: `not restarted with ${parents}: ${hold.reason}` };
    return { action: 'restart', rule: 'parent-restarted', reason: `restarted with ${parents}, which heal restarted` };
  }
  if (held) return { action: 'hold', rule: 'maintenance', untilMs: held.untilMs, reason: `in maintenance (${held.name}) until ${new Date(held.untilMs).toISOString()}: restarts are held` };
  if (parentsDown.length) return { action: 'skip', rule: 'waiting-on-parent', reason: `waiting on ${parentsDown.join(', ')}` };
  if (!service.spec.restart) return { action: 'none', rule: 'no-restart', reason: 'no restart configured' };

  // Found down on probation (half-open, after it came back) opens the breaker again (policy/record.ts does the same).
  const breaker = onFoundDown(previous?.breaker ?? CLOSED, service.breaker, now);
  const hold = heldBack(service, previous, breaker, now);
  if (hold) return hold;
  if (breaker.state === 'half_open') return { action: 'restart', rule: 'half-open-trial', reason: 'circuit breaker half-open: one restart allowed' };
  return { action: 'restart', rule: 'down', reason: 'checks failed' };
}

/** The hold rules, in order — breaker or flapping, starting, cooldown, hourly cap — or undefined when a restart may go. */
function heldBack(service: ServiceConfig, previous: ServiceState | undefined, breaker: BreakerState, now: number): Extract<HealDecision, { action: 'hold' }> | undefined {
  const reopens = halfOpensAt(breaker, now);
  if (reopens !== undefined) {
    const wait = `one restart will be tried in ${formatDuration(reopens - now)}`;
    if (previous?.flapping) return { action: 'hold', rule: 'flapping', untilMs: reopens, reason: `flapping (${previous.flapping.reason}): ${wait}` };
    return { action: 'hold', rule: 'breaker-open', untilMs: reopens, reason: `circuit breaker open: ${wait}` };
  }

  const heals = previous?.heals ?? [];
  const last = heals.at(-1);
  if (last) {
    const ago = formatDuration(elapsedSince(last.at, now));
    const graceEnds = waitEndsAt(last.at, service.startGraceMs, now);
    if (now < graceEnds) {
      return { action: 'hold', rule: 'starting', untilMs: graceEnds, reason: `starting: restarted ${ago} ago, start_grace ends in ${formatDuration(graceEnds - now)}` };
    }
    const cooldownEnds = cooldownEndsAt(last.at, service.cooldownMs, now);
    if (now < cooldownEnds) {
      return { action: 'hold', rule: 'cooldown', untilMs: cooldownEnds, reason: `cooldown: last restart ${ago} ago, next allowed in ${formatDuration(cooldownEnds - now)}` };
    }
  }
  const untilMs = hourlyCapEndsAt(heals, service.maxHealsPerHour, now);
  if (untilMs !== undefined) {
    return { action: 'hold', rule: 'hourly-cap', untilMs, reason: `hourly cap: ${healsInLastHour(heals, now).length} of ${service.maxHealsPerHour} restarts used in the last hour, next allowed in ${formatDuration(untilMs - now)}` };
  }
  return undefined;
}

/**
 * Whether heal has stopped restarting the service for longer than a cooldown, as its state stands
 * after a scan: its breaker is open (it flaps, or its heals kept failing) or the hourly cap is
 * used up. Undefined while heal would restart it as soon as it is found down (or it has no
 * restart). Alerts say it once, `heal status` whenever asked.
 */
export function restartsStopped(service: ServiceConfig, state: ServiceState | undefined, now: number): RestartsStopped | undefined {
  if (!service.spec.restart || !state) return undefined;
  const reopens = halfOpensAt(breakerAt(state.breaker, now), now);
  if (reopens !== undefined) {
    const why = state.flapping ? `it is flapping: ${state.flapping.reason}` : 'its circuit breaker is open: restarts did not bring it back for good';
    return { untilMs: reopens, why };
  }
  const capEnds = hourlyCapEndsAt(state.heals, service.maxHealsPerHour, now);
  if (capEnds !== undefined) return { untilMs: capEnds, why: `the hourly cap is used up: ${service.maxHealsPerHour} restarts in the last hour (max_heals_per_hour)` };
  return undefined;
}
