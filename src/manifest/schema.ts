/**
 * The manifest (`services.yaml`) as zod schemas, composed from each family's own: checks
 * (checks/schema.ts), restarts (restart/schema.ts), the alerts block and its channels
 * (alerts/schema.ts, alerts/channels/schema.ts), on shared fields (fields.ts). This file holds
 * what is the manifest's own: services, `defaults` and the top-level keys. Every manifest type is
 * `z.output` of a schema, so the file's shape, its defaults and its types cannot drift apart.
 * Objects are strict: an unknown key is an error, because a typo must not silently disable a check.
 */
import { z } from 'zod';
import { alertLevelName, alertsSchema } from '../alerts/schema.js';
import { checkSpec } from '../checks/schema.js';
import { restartSpec } from '../restart/schema.js';
import { duration, expected, httpUrl, retries, scanThreshold } from './fields.js';

const breakerSettings = z.strictObject({
  /** Consecutive scans whose heal failed before the breaker opens. @default 3 */
  failure_threshold: z.number().int().min(1).default(3),
  /** Healthy scans in half-open before it closes. @default 2 */
  success_threshold: z.number().int().min(1).default(2),
  /** How long it stays open before one heal is tried. @default 10m */
  open_for: duration.default(600_000),
  /** The longest open period after repeated failures (the wait doubles). @default 1h */
  max_open_for: duration.default(3_600_000),
});

/** Healing knobs a service may override; the manifest's `defaults` sets them for all. */
const healSettings = {
  /** Per-check timeout. @default 3s */
  timeout: duration.optional(),
  /** Extra attempts per check. @default 0 */
  retries: retries.optional(),
  /** Wait between check attempts. @default 1s */
  retry_delay: duration.optional(),
  /** The shortest time between two heals of one service. @default 5m */
  cooldown: duration.optional(),
  /** Heals allowed in any sliding hour. @default 6 */
  max_heals_per_hour: z.number().int().min(1).optional(),
  /** How long checks are retried after a restart before it counts as failed. @default 10s */
  verify_timeout: duration.optional(),
  /** After a restart, a failing service is "starting" (not restarted again) for this long. @default 0s */
  start_grace: duration.optional(),
  /**
   * Flapping: went down (found down after being up) in k of the last n scans ("3 of 12"; a plain
   * k is k scans in a row). A flapping service is alerted once, and its breaker opens: restarts
   * wait open_for, doubling each time it goes down again, until it stays up for n scans.
   * @default "3 of 12"
   */
  flap_threshold: scanThreshold(2).optional(),
};

export const defaultsSchema = z.strictObject({
  ...healSettings,
  breaker: breakerSettings.prefault({}),
});

export const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'service names must match [a-z0-9][a-z0-9._-]*');

export const serviceSchema = z.strictObject({
  /** A disabled service is validated but never checked. @default true */
  enabled: z.boolean().default(true),
  description: z.string().optional(),
  /** Services that must be up before this one is healed. */
  depends_on: z.array(serviceName).default([]),
  checks: z.array(checkSpec, { error: expected('a list of checks') }).min(1, 'a service needs at least one check'),
  restart: restartSpec.optional(),
  /** Level of the alert when the service stays down. @default "critical" */
  alert_level: alertLevelName.default('critical'),
  /** Level of the notice when a restart brought it back. @default "info" */
  healed_level: alertLevelName.default('info'),
  ...healSettings,
  breaker: breakerSettings.partial().optional(),
});

export const manifestSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only manifest version so far)' }),
  /** Where state lives, relative to this file. @default ~/.local/state/heal */
  state_dir: z.string().min(1).optional(),
  /** Where logs go (pino JSON lines), relative to this file. @default stderr */
  log_file: z.string().min(1).optional(),
  /** Rotation of log_file: past max_bytes it is renamed to .1 (… up to .keep). @default 10 MiB, keep 3 */
  log_rotate: z
    .strictObject({ max_bytes: z.number().int().min(1024).default(10 * 1024 * 1024), keep: z.number().int().min(1).max(100).default(3) })
    .prefault({}),
  /** How often the schedule runs heal scan: status warns when the last scan is older than three of these. @default 5m */
  interval: duration.default(300_000),
  /** Prometheus text file written after every scan, for node_exporter's textfile collector. */
  metrics_file: z.string().min(1).optional(),
  /** Pinged at the start and end of every scan (healthchecks.io style): <url>/start, <url>, <url>/fail. */
  heartbeat: z
    .strictObject({ url: httpUrl, timeout: duration.default(10_000) })
    .optional(),
  /** The whole scan's deadline; no check, restart or send runs past it. @default 60s */
  scan_timeout: duration.default(60_000),
  /** How many checks run at once. @default 64 */
  concurrency: z.number().int().min(1).max(4096).default(64),
  defaults: defaultsSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
  services: z.record(z.string(), serviceSchema, { error: expected('a map of services by name') }),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ServiceSpec = z.output<typeof serviceSchema>;
export type BreakerSettings = z.output<typeof breakerSettings>;
