/**
 * The state file: everything `heal` remembers between scans. Versioned; a file that does not
 * match this schema (truncated, garbage, or from a future version) is moved aside and a fresh
 * state is used, so a bad file never stops a scan. Loaded only to validate a state file that heal
 * did not write intact (state/seal.ts) and by tests; the zod-free pieces are in state/model.ts.
 */
import { z } from 'zod';
import { emptyAlertsState } from '../alerts/state.js';
import { alertsStateSchema } from '../alerts/state-schema.js';
import { CLOSED, type BreakerState } from '../policy/breaker.js';
import { emptyMetricsCounters } from '../metrics/counters.js';
import { metricsCountersSchema } from '../metrics/counters-schema.js';
import { STATE_VERSION } from './model.js';

export { emptyState, serviceStateOf, STATE_VERSION } from './model.js';

const checkRecord = z.object({
  name: z.string(),
  ok: z.boolean(),
  latencyMs: z.number(),
  error: z.string().optional(),
});

const healRecord = z.object({
  at: z.number(),
  result: z.enum(['healed', 'failed']),
  error: z.string().optional(),
  /** What the supervisor said (systemd: ActiveState, SubState, NRestarts). */
  facts: z.record(z.string(), z.string()).optional(),
});

/** Who a process is: its pid and when the kernel started it (process/identity.ts), so a reused pid is never taken for it. */
const processIdentity = z.object({ pid: z.number().int().positive(), start: z.string().optional(), boot: z.string().optional(), pidns: z.string().optional() });

const breakerSchema: z.ZodType<BreakerState> = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), failures: z.number().int().min(0) }),
  z.object({ state: z.literal('open'), openedAt: z.number(), openForMs: z.number() }),
  z.object({ state: z.literal('half_open'), since: z.number(), openForMs: z.number(), successes: z.number().int().min(0) }),
]);

/**
 * A service record written before `recent` was kept (issue 12) loads without its flapping mark:
 * that mark came from rules that no longer exist (held back by the hourly cap twice, or healed
 * in a row, meant no restart until `heal reset`); the one flapping rule judges the service
 * afresh from its next scans, and an alert the old mark opened is resolved.
 */
function withoutOldFlappingMark(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || 'recent' in value) return value;
  const { flapping: _old, ...rest } = value as Record<string, unknown>;
  return rest;
}

export const serviceStateSchema = z.preprocess(withoutOldFlappingMark, z.object({
  status: z.enum(['up', 'down']),
  /** When `status` last changed (ms since epoch). */
  since: z.number(),
  lastScanAt: z.number(),
  /** Consecutive scans that ended with the service down. */
  failingScans: z.number().int().min(0),
  /** Consecutive scans that ended with the service up. */
  healthyScans: z.number().int().min(0),
  /** The last scan's checks. */
  checks: z.array(checkRecord),
  /** Heal attempts, newest last, pruned to what any rule still needs. */
  heals: z.array(healRecord),
  breaker: breakerSchema.default(CLOSED),
  /**
   * The scans that judged the service, newest last, one letter each (policy/record.ts SCAN_MARK:
   * u up, h healed, d down), as many as flapping looks back over. A state file from before it
   * starts empty (its healedStreak, capStreak and steadyScans are dropped on load).
   */
  recent: z.string().default(''),
  /** Set while the service flaps (went down in k of the last n scans); lifted once it stays up for n scans. */
  flapping: z.object({ since: z.number(), reason: z.string() }).optional(),
  /**
   * The process heal's last `detach: true` restart started: the service's pid for a process check,
   * and the old process the next such restart stops first. A later restart replaces it.
   */
  process: processIdentity.optional(),
  /** The last notice heal made about the service (any kind), kept after its alert key is forgotten, for `heal status`. */
  lastAlert: z.object({ at: z.number(), kind: z.string(), level: z.string(), channels: z.array(z.string()) }).optional(),
}));

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  lastScan: z
    .object({ startedAt: z.number(), durationMs: z.number(), exitCode: z.number().int() })
    .optional(),
  services: z.record(z.string(), serviceStateSchema),
  alerts: alertsStateSchema.default(emptyAlertsState),
  /** Counters that only go up, for the metrics file (never pruned, never reset). */
  metrics: metricsCountersSchema.default(emptyMetricsCounters),
});

export type State = z.output<typeof stateSchema>;
export type ServiceState = z.output<typeof serviceStateSchema>;
export type HealRecord = z.output<typeof healRecord>;
export type CheckRecord = z.output<typeof checkRecord>;
