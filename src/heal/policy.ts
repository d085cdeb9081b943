/**
 * Whether to restart a service now: a pure function of its settings, what the state remembers
 * and the clock. Every "no" names the rule behind it, so `--dry-run` and reports can say why.
 */
import { formatDuration as formatAgo } from '../duration.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { ServiceState } from '../state/schema.js';

export type HealDecision =
  | { action: 'none'; rule: 'healthy' }
  | { action: 'none'; rule: 'no-restart'; reason: string }
  | { action: 'hold'; rule: 'cooldown'; reason: string; untilMs: number }
  | { action: 'restart'; rule: 'down'; reason: string };

export function decideHeal(
  service: ServiceConfig,
  previous: ServiceState | undefined,
  healthy: boolean,
  now: number,
): HealDecision {
  if (healthy) return { action: 'none', rule: 'healthy' };
  if (!service.spec.restart) return { action: 'none', rule: 'no-restart', reason: 'no restart configured' };
  const lastHeal = previous?.heals.at(-1);
  if (lastHeal && now - lastHeal.at < service.cooldownMs) {
    const untilMs = lastHeal.at + service.cooldownMs;
    return { action: 'hold', rule: 'cooldown', untilMs, reason: `cooldown: last restart ${formatAgo(now - lastHeal.at)} ago, next allowed in ${formatAgo(untilMs - now)}` };
  }
  return { action: 'restart', rule: 'down', reason: 'checks failed' };
}
