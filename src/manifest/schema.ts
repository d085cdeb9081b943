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
import { DEFAULT_CONCURRENCY, DEFAULT_HEARTBEAT_TIMEOUT_MS, type BUILTIN_DEFAULTS } from './defaults.js';
import { duration, expected, httpUrl, retries, scanThreshold } from './fields.js';
import { parseEvery, validTimeZone } from '../policy/maintenance.js';

/** The breaker's keys, without their defaults: a service's `breaker` sets only what it names. */
const breakerKeys = {
  /** Consecutive scans whose heal failed before the breaker opens. @default 3 */
  failure_threshold: z.number().int().min(1),
  /** Healthy scans in half-open before it closes. @default 2 */
  success_threshold: z.number().int().min(1),
  /** How long it stays open before one heal is tried. @default 10m */
  open_for: duration,
  /** The longest open period after repeated failures (the wait doubles). @default 1h */
  max_open_for: duration,
};

/** `defaults.breaker`: every key, the built-in value where the manifest names none. */
const breakerSettings = z.strictObject({
  failure_threshold: breakerKeys.failure_threshold.default(3),
  success_threshold: breakerKeys.success_threshold.default(2),
  open_for: breakerKeys.open_for.default(600_000),
  max_open_for: breakerKeys.max_open_for.default(3_600_000),
});

/**
 * Healing knobs a service may override; the manifest's `defaults` sets them for all. None has a
 * `.default()`: a key left out stays absent, so resolve.ts can take the service's value, else
 * `defaults`, else the built-in one ({@link BUILTIN_DEFAULTS}).
 */
const healSettings = {
  /** Per-check timeout. @default {@link BUILTIN_DEFAULTS.timeout} */
  timeout: duration.optional(),
  /** Extra attempts per check. @default {@link BUILTIN_DEFAULTS.retries} */
  retries: retries.optional(),
  /** Wait between check attempts. @default {@link BUILTIN_DEFAULTS.retry_delay} */
  retry_delay: duration.optional(),
  /** The shortest time between two heals of one service. @default {@link BUILTIN_DEFAULTS.cooldown} */
  cooldown: duration.optional(),
  /** Heals allowed in any sliding hour. @default {@link BUILTIN_DEFAULTS.max_heals_per_hour} */
  max_heals_per_hour: z.number().int().min(1).optional(),
  /** How long checks are retried after a restart before it counts as failed. @default {@link BUILTIN_DEFAULTS.verify_timeout} */
  verify_timeout: duration.optional(),
  /** After a restart, a failing service is "starting" (not restarted again) for this long. @default {@link BUILTIN_DEFAULTS.start_grace} */
  start_grace: duration.optional(),
  /**
   * Flapping: went down (found down after being up) in k of the last n scans ("3 of 12"; a plain
   * k is k scans in a row). A flapping service is alerted once, and its breaker opens: restarts
   * wait open_for, doubling each time it goes down again, until it stays up for n scans.
   * @default {@link BUILTIN_DEFAULTS.flap_threshold}
   */
  flap_threshold: scanThreshold(2).optional(),
};

/** The manifest's `defaults`: heal settings for every service that does not set its own. */
export const defaultsSchema = z.strictObject({
  ...healSettings,
  breaker: breakerSettings.prefault({}),
});

/** A service's name, the key of `services`. */
export const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'service names must match [a-z0-9][a-z0-9._-]*');

/** One service: its checks, its restart, its alert levels and its own heal settings. */
export const serviceSchema = z.strictObject({
  /** A disabled service is validated but never checked. @default true */
  enabled: z.boolean().default(true),
  description: z.string().optional(),
  /** Services that must be up before this one is healed. @default [] */
  depends_on: z.array(serviceName).default([]),
  checks: z.array(checkSpec, { error: expected('a list of checks') }).min(1, 'a service needs at least one check'),
  restart: restartSpec.optional(),
  /** Level of the alert when the service stays down. @default "critical" */
  alert_level: alertLevelName.default('critical'),
  /** Level of the notice when a restart brought it back. @default "info" */
  healed_level: alertLevelName.default('info'),
  /** Level of the alert while only `on_fail: alert` checks fail (the service is degraded). @default "warning" */
  degraded_level: alertLevelName.default('warning'),
  /**
   * Restart this service right after a service it depends on was restarted, even when its own
   * checks pass (it shares the parent's network, or holds a connection that died with it); once
   * per scan, under its own cooldown and caps. Needs `depends_on` and a `restart`. @default false
   */
  restart_with_parent: z.boolean().default(false),
  ...healSettings,
  // Only the keys it names: the rest come from defaults.breaker (resolve.ts), not the built-in values.
  breaker: z.strictObject(breakerKeys).partial().optional(),
}).superRefine((spec, ctx) => {
  if (!spec.restart_with_parent) return;
  if (!spec.depends_on.length) {
    ctx.addIssue({ code: 'custom', path: ['restart_with_parent'], message: 'restarts the service after a service it depends on, but it has no depends_on: add depends_on: [<parent>], or remove restart_with_parent' });
  }
  if (!spec.restart) {
    ctx.addIssue({ code: 'custom', path: ['restart_with_parent'], message: 'the service has no restart to run with its parent: add a restart, or remove restart_with_parent' });
  }
});

/**
 * A recurring maintenance window: its services' restarts are held and no alert goes out for
 * them (a resolved notice for an alert sent before it still does); the checks run on.
 */
export const maintenanceWindowSchema = z.strictObject({
  /** "daily 02:00-02:30", "sun 03:00-05:00", "mon-fri 22:00-06:00", "sat,sun 03:00-05:00" (policy/maintenance.ts). */
  every: z.string({ error: expected('a schedule such as "daily 02:00-02:30"') }).superRefine((text, ctx) => {
    const parsed = parseEvery(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  }),
  /** The IANA time zone its times are in. @default the machine's */
  timezone: z
    .string()
    .refine(validTimeZone, { error: 'unknown time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC' })
    .optional(),
  /** The services it covers. @default every service */
  services: z.array(serviceName).optional(),
  /** Restart its services all the same (only the alerts are held). @default false */
  restart: z.boolean().default(false),
});

/** The whole manifest (`services.yaml`). */
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
  /** A self-contained HTML status page rewritten after every full scan (page/), relative to this file. @default none */
  status_page: z.string().min(1).optional(),
  /** Pinged at the start and end of every scan (healthchecks.io style): <url>/start, <url>, <url>/fail. */
  heartbeat: z
    .strictObject({
      url: httpUrl,
      /** How long one ping may take. @default {@link DEFAULT_HEARTBEAT_TIMEOUT_MS} */
      timeout: duration.default(DEFAULT_HEARTBEAT_TIMEOUT_MS),
    })
    .optional(),
  /** What each full scan leaves in `<state dir>/history/` (history/store.ts): kept for `keep`, older days deleted whole. @default keep 30d */
  history: z.strictObject({ keep: duration.default(30 * 86_400_000) }).prefault({}),
  /** The whole scan's deadline; no check, restart or send runs past it. @default 60s */
  scan_timeout: duration.default(60_000),
  /** How many checks run at once. @default {@link DEFAULT_CONCURRENCY} */
  concurrency: z.number().int().min(1).max(4096).default(DEFAULT_CONCURRENCY),
  defaults: defaultsSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
  /** Recurring maintenance windows, by name. @default {} */
  maintenance: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'window names must match [a-z0-9][a-z0-9._-]*'), maintenanceWindowSchema).default({}),
  services: z.record(z.string(), serviceSchema, { error: expected('a map of services by name') }),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ServiceSpec = z.output<typeof serviceSchema>;
export type BreakerSettings = z.output<typeof breakerSettings>;
export type MaintenanceWindowSpec = z.output<typeof maintenanceWindowSchema>;
