/**
 * Whether to restart a service now: a pure function of its settings, what the state remembers,
 * what its checks saw and the clock. Every "no" names the rule behind it and, where it ends,
 * when — so `--dry-run`, reports and alerts can say why.
 *
 * The rules, in the order they are asked:
 *  1. healthy                  nothing to do
 *  2. waiting-on-parent        a service it depends on is still down: heal that first
 *  3. no-restart               nothing configured to restart it with
 *  4. flapping                 the crash-loop guard stopped restarts (heal reset NAME lifts it)
 *  5. breaker-open             too many failed heals; one is tried again when it half-opens
 *  6. starting                 restarted less than start_grace ago: still booting, not failed
 *  7. cooldown                 restarted less than cooldown ago (less the schedule slack)
 *  8. hourly-cap               max_heals_per_hour reached in the last sliding hour
 *  9. restart                  (half-open-trial when the breaker lets one through)
 *
 * Every wait is measured with common/time.ts: a restart remembered "in the future" (the clock
 * was set back) counts as made now, so no rule holds a restart back longer than its own setting.
 */
import { breakerAt, halfOpensAt } from '../breaker.js';
import { elapsedSince, waitEndsAt } from '../common/time.js';
import { formatDuration } from '../duration.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { ServiceState } from '../state/schema.js';

export const HOUR_MS = 3_600_000;

/**
 * A cooldown with less than its slack left counts as over. heal runs on a schedule as long as
 * the default cooldown (5m); without slack, a scan that starts a second early would hold back
 * the restart for a whole interval. The slack is this much at most, and never more than
 * {@link SCHEDULE_SLACK_FRACTION} of the cooldown, so a short cooldown stays a cooldown.
 */
export const SCHEDULE_SLACK_MS = 10_000;
/** The largest part of a cooldown the schedule slack may take. */
export const SCHEDULE_SLACK_FRACTION = 0.1;

/** The schedule slack of a cooldown: 10 s, or a tenth of the cooldown when that is less. */
export function scheduleSlackMs(cooldownMs: number): number {
  return Math.min(SCHEDULE_SLACK_MS, Math.floor(cooldownMs * SCHEDULE_SLACK_FRACTION));
}

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

export type HoldRule = 'flapping' | 'breaker-open' | 'starting' | 'cooldown' | 'hourly-cap';

export type HealDecision =
  | { action: 'none'; rule: 'healthy' }
  | { action: 'none'; rule: 'no-restart'; reason: string }
  | { action: 'skip'; rule: 'waiting-on-parent'; reason: string }
  | { action: 'hold'; rule: HoldRule; reason: string; untilMs?: number }
  | { action: 'restart'; rule: 'down' | 'half-open-trial'; reason: string };

export type DecisionRule = HealDecision['rule'];

export type PolicyInput = {
  service: ServiceConfig;
  previous: ServiceState | undefined;
  /** Every check passed. */
  healthy: boolean;
  /** Services it depends on that are down after their own heal. */
  parentsDown: readonly string[];
  now: number;
};

export function decideHeal({ service, previous, healthy, parentsDown, now }: PolicyInput): HealDecision {
  if (healthy) return { action: 'none', rule: 'healthy' };
  if (parentsDown.length) return { action: 'skip', rule: 'waiting-on-parent', reason: `waiting on ${parentsDown.join(', ')}` };
  if (!service.spec.restart) return { action: 'none', rule: 'no-restart', reason: 'no restart configured' };
  if (previous?.flapping) {
    return { action: 'hold', rule: 'flapping', reason: `flapping (${previous.flapping.reason}): not restarted until it stays up, or heal reset ${service.name}` };
  }

  const breaker = breakerAt(previous?.breaker ?? { state: 'closed', failures: 0 }, now);
  const reopens = halfOpensAt(breaker, now);
  if (reopens !== undefined) {
    return { action: 'hold', rule: 'breaker-open', untilMs: reopens, reason: `circuit breaker open: one restart will be tried in ${formatDuration(reopens - now)}` };
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
  const inHour = healsInLastHour(heals, now);
  if (inHour.length >= service.maxHealsPerHour) {
    // Allowed again once enough of them leave the hour to bring the count below the cap.
    const leaving = inHour.map((heal) => heal.at).sort((a, b) => a - b)[inHour.length - service.maxHealsPerHour] ?? now;
    const untilMs = waitEndsAt(leaving, HOUR_MS, now);
    return { action: 'hold', rule: 'hourly-cap', untilMs, reason: `hourly cap: ${inHour.length} of ${service.maxHealsPerHour} restarts used in the last hour, next allowed in ${formatDuration(untilMs - now)}` };
  }
  if (breaker.state === 'half_open') return { action: 'restart', rule: 'half-open-trial', reason: 'circuit breaker half-open: one restart allowed' };
  return { action: 'restart', rule: 'down', reason: 'checks failed' };
}
