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
 *  7. cooldown                 restarted less than cooldown ago (less 10 s of schedule slack)
 *  8. hourly-cap               max_heals_per_hour reached in the last sliding hour
 *  9. restart                  (half-open-trial when the breaker lets one through)
 */
import { breakerAt, halfOpensAt } from '../breaker.js';
import { formatDuration } from '../duration.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { ServiceState } from '../state/schema.js';

export const HOUR_MS = 3_600_000;

/**
 * A cooldown with less than this left counts as over. heal runs on a schedule as long as the
 * default cooldown (5m); without slack, a scan that starts a second early would hold back the
 * restart for a whole interval.
 */
export const SCHEDULE_SLACK_MS = 10_000;

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
  const reopens = halfOpensAt(breaker);
  if (reopens !== undefined) {
    return { action: 'hold', rule: 'breaker-open', untilMs: reopens, reason: `circuit breaker open: one restart will be tried in ${formatDuration(reopens - now)}` };
  }

  const heals = previous?.heals ?? [];
  const last = heals.at(-1);
  if (last && now - last.at < service.startGraceMs) {
    const untilMs = last.at + service.startGraceMs;
    return { action: 'hold', rule: 'starting', untilMs, reason: `starting: restarted ${formatDuration(now - last.at)} ago, start_grace ends in ${formatDuration(untilMs - now)}` };
  }
  if (last && now - last.at < service.cooldownMs - SCHEDULE_SLACK_MS) {
    const untilMs = last.at + service.cooldownMs;
    return { action: 'hold', rule: 'cooldown', untilMs, reason: `cooldown: last restart ${formatDuration(now - last.at)} ago, next allowed in ${formatDuration(untilMs - now)}` };
  }
  const inHour = heals.filter((heal) => now - heal.at < HOUR_MS);
  if (inHour.length >= service.maxHealsPerHour) {
    const untilMs = (inHour[0]?.at ?? now) + HOUR_MS;
    return { action: 'hold', rule: 'hourly-cap', untilMs, reason: `hourly cap: ${inHour.length} of ${service.maxHealsPerHour} restarts used in the last hour, next allowed in ${formatDuration(untilMs - now)}` };
  }
  if (breaker.state === 'half_open') return { action: 'restart', rule: 'half-open-trial', reason: 'circuit breaker half-open: one restart allowed' };
  return { action: 'restart', rule: 'down', reason: 'checks failed' };
}
