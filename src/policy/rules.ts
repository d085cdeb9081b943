/**
 * The names the decisions speak in, shared by the policy, the state, the alerts, the scan and
 * `heal status`: what a decision can be, the rule behind it, and the hour the caps count over.
 * Types and constants only, so anything may import it without pulling a decision in.
 */

/** The sliding window of `max_heals_per_hour`. */
export const HOUR_MS = 3_600_000;

/** The rules that hold a restart back for a while; each names when it ends. */
export type HoldRule = 'maintenance' | 'flapping' | 'breaker-open' | 'starting' | 'cooldown' | 'hourly-cap';

export type HealDecision =
  /** `note`: a restart with its parent that a hold rule kept back. */
  | { action: 'none'; rule: 'healthy'; note?: string }
  | { action: 'none'; rule: 'degraded'; reason: string; note?: string }
  | { action: 'none'; rule: 'no-restart'; reason: string }
  | { action: 'skip'; rule: 'waiting-on-parent'; reason: string }
  | { action: 'hold'; rule: HoldRule; reason: string; untilMs?: number }
  | { action: 'restart'; rule: 'down' | 'half-open-trial' | 'parent-restarted'; reason: string };

/** The rule that decided a service's scan: reported, remembered and alerted on. */
export type DecisionRule = HealDecision['rule'];

/** Heal has stopped restarting a service for a while: until when, and why in a few words. */
export type RestartsStopped = { untilMs: number; why: string };

