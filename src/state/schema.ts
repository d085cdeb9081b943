/**
 * The state file: everything `heal` remembers between scans. Versioned; a file that does not
 * match this schema (truncated, garbage, or from a future version) is moved aside and a fresh
 * state is used, so a bad file never stops a scan.
 */
import { z } from 'zod';

export const STATE_VERSION = 1;

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
});

export const serviceStateSchema = z.object({
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
});

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  lastScan: z
    .object({ startedAt: z.number(), durationMs: z.number(), exitCode: z.number().int() })
    .optional(),
  services: z.record(z.string(), serviceStateSchema),
});

export type State = z.output<typeof stateSchema>;
export type ServiceState = z.output<typeof serviceStateSchema>;
export type HealRecord = z.output<typeof healRecord>;
export type CheckRecord = z.output<typeof checkRecord>;

export function emptyState(): State {
  return { version: STATE_VERSION, services: {} };
}
