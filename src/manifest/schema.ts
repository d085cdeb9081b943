/**
 * The manifest (`services.yaml`) as zod schemas. Every manifest type is `z.output` of one of
 * these, so the file's shape, its defaults and its types cannot drift apart. Objects are
 * strict: an unknown key is an error, because a typo must not silently disable a check.
 */
import { z } from 'zod';
import { parseDuration } from '../common/duration.js';
import { parseScanThreshold, MAX_SCAN_WINDOW } from '../common/scan-window.js';

/** An error message for a wrong type that still says "required" when the key is missing. */
const expected = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`);

/** A duration such as "500ms", "3s", "5m", "1h" or "1d", read as milliseconds. */
export const duration = z
  .string({ error: expected('a duration such as "500ms", "3s", "5m" or "1h"') })
  .refine((text) => parseDuration(text) !== undefined, {
    error: 'expected a duration such as "500ms", "3s", "5m" or "1h"',
  })
  .transform((text) => parseDuration(text) as number);

/**
 * A count of scans: a whole number k (k in a row), or "k of n" (k of the last n scans, e.g.
 * "3 of 6"), read as `{ count, of }`.
 */
const scanThreshold = (min: number) =>
  z
    .union([z.number(), z.string()], { error: expected(`a number of scans, or "k of n" such as "3 of 6"`) })
    .refine((value) => parseScanThreshold(value, min) !== undefined, {
      error: `expected a whole number of scans (at least ${min}), or "k of n" with ${min} <= k <= n <= ${MAX_SCAN_WINDOW}, such as "3 of 6"`,
    })
    .transform((value) => parseScanThreshold(value, min)!);

const port = z
  .number({ error: expected('a port number') })
  .int('expected a whole port number')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');

const argv = z
  .array(z.string().min(1, 'an argument cannot be empty'), { error: expected('a list of arguments (argv), not a shell string') })
  .min(1, 'needs at least the program to run');

const hostname = z.string().min(1).regex(/^[A-Za-z0-9.:_\-[\]]+$/, 'expected a host name or IP address');

/** Knobs every check has. */
const checkCommon = {
  /** A label for reports and metrics; defaults to one derived from the check. */
  name: z.string().min(1).optional(),
  /** How long one attempt may take. @default defaults.timeout (3s) */
  timeout: duration.optional(),
  /** Extra attempts before the check counts as failed, for flaky endpoints. @default 0 */
  retries: z.number().int().min(0).max(10).optional(),
  /** Wait between attempts. @default defaults.retry_delay (1s) */
  retry_delay: duration.optional(),
};

/** TCP connect to host:port. */
export const portCheck = z.strictObject({
  type: z.literal('port'),
  /** @default "127.0.0.1" */
  host: hostname.default('127.0.0.1'),
  port,
  ...checkCommon,
});

const statusCode = z.number().int().min(100).max(599);

/** An HTTP(S) request whose status, body or JSON field must match. */
export const httpCheck = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/, error: 'Invalid URL' }),
  /** @default "GET" */
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']).default('GET'),
  /** Accepted status codes. @default 200–399 */
  status: z.union([statusCode, z.array(statusCode).min(1)]).optional(),
  /** A string the body must contain. */
  body_contains: z.string().min(1).optional(),
  /** A field of the JSON body (dot path, e.g. "checks.db.status") that must equal a value. */
  json: z.strictObject({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).optional(),
  /** Request headers. */
  headers: z.record(z.string(), z.string()).optional(),
  /** A request body, for POST and PUT. */
  body: z.string().optional(),
  /** Accept a TLS certificate that does not verify (self-signed). @default false */
  insecure: z.boolean().default(false),
  ...checkCommon,
});

/** A heartbeat file whose modification time must be recent. */
export const fileCheck = z.strictObject({
  type: z.literal('file'),
  path: z.string().min(1),
  max_age: duration,
  ...checkCommon,
});

/** A program (argv, never a shell) that must exit 0 before its timeout. */
export const commandCheck = z.strictObject({
  type: z.literal('command'),
  run: argv,
  cwd: z.string().min(1).optional(),
  ...checkCommon,
});

/** launchd labels are reverse-DNS names; anything else is refused before it reaches launchctl. */
export const launchdLabel = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a launchd label may hold only letters, digits, ".", "_" and "-"');

const launchdDomain = z
  .string()
  .regex(/^(gui|user)(\/\d+)?$/, 'domain must be "gui", "user", "gui/<uid>" or "user/<uid>"');

/** systemd unit names; anything else is refused before it reaches systemctl. */
export const systemdUnit = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9:_.@\\-]*$/, 'a systemd unit name starts with a letter or digit and holds only letters, digits and ":_.@-\\"');

/** Asks launchd whether the job is loaded and has a pid (`launchctl print`). */
export const launchdCheck = z.strictObject({
  type: z.literal('launchd'),
  label: launchdLabel,
  domain: launchdDomain.optional(),
  ...checkCommon,
});

/** Asks systemd whether the unit is active (`systemctl show -p ActiveState`). */
export const systemdCheck = z.strictObject({
  type: z.literal('systemd'),
  unit: systemdUnit,
  /** Ask the user's manager (`systemctl --user`). @default false */
  user: z.boolean().default(false),
  ...checkCommon,
});

export const checkSpec = z.discriminatedUnion('type', [portCheck, httpCheck, fileCheck, commandCheck, launchdCheck, systemdCheck], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'type must be one of: port, http, file, command, launchd, systemd' : undefined,
});

/** Restart by running a program; with `detach` it is the service itself, left running. */
export const commandRestart = z.strictObject({
  type: z.literal('command'),
  run: argv,
  /** Start it as a detached process whose output goes to <state dir>/logs/<service>.log. @default false */
  detach: z.boolean().default(false),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** How long a non-detached restart may run. @default 30s */
  timeout: duration.default(30_000),
  /** A program that stops the old (maybe hung) process before the new one starts. */
  stop: argv.optional(),
  /** A file holding the old process's pid: it gets SIGTERM, then SIGKILL after `stop_grace`. */
  pidfile: z.string().min(1).optional(),
  /** How long the old process has to exit after SIGTERM. @default 5s */
  stop_grace: duration.default(5_000),
});

/** Restart a macOS LaunchAgent through launchctl. */
export const launchdRestart = z.strictObject({
  type: z.literal('launchd'),
  label: launchdLabel,
  plist: z.string().min(1).optional(),
  domain: launchdDomain.optional(),
  /** @default "kickstart" */
  method: z.enum(['kickstart', 'reload']).default('kickstart'),
  timeout: duration.default(30_000),
  /**
   * Stop the job gracefully before the restart: `launchctl kill SIGTERM`, up to this long for it
   * to exit, then `kickstart` (`kickstart -k`, SIGKILL, only if it is still running). Without it
   * heal restarts with `kickstart -k`, which sends SIGKILL at once.
   */
  stop_grace: duration.optional(),
});

/** Restart a systemd unit through systemctl. */
export const systemdRestart = z.strictObject({
  type: z.literal('systemd'),
  unit: systemdUnit,
  /** Use the user's manager (`systemctl --user`). @default false */
  user: z.boolean().default(false),
  timeout: duration.default(30_000),
});

export const restartSpec = z.discriminatedUnion('type', [commandRestart, launchdRestart, systemdRestart], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'type must be one of: command, launchd, systemd' : undefined,
});

export const alertLevelName = z.enum(['critical', 'warning', 'info']);

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
  retries: z.number().int().min(0).max(10).optional(),
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

const levelSchema = z.strictObject({
  /** Failing scans before the first notice: k in a row, or "k of n" (k of the last n scans). */
  threshold: scanThreshold(1),
  /** No repeat for the same key before this ends; outages within it fold into one incident. */
  cooldown: duration,
  channels: z.array(z.string().min(1)).min(1, 'a level needs at least one channel: name one, or [log] for the log only'),
  /** A service still down this long is raised to the next level up (info → warning → critical). */
  escalate_after: duration.optional(),
});

/** The highest level: there is none to escalate to. */
const criticalLevelSchema = levelSchema.extend({
  escalate_after: z.never({ error: 'critical is the highest level: escalate_after belongs on warning or info' }).optional(),
});

const discordChannel = z.strictObject({
  type: z.literal('discord'),
  webhook_url: z.url({ protocol: /^https?$/, error: 'Invalid URL' }),
  username: z.string().min(1).optional(),
  timeout: duration.default(5_000),
});

const emailChannel = z.strictObject({
  type: z.literal('email'),
  host: z.string().min(1),
  port: port.default(587),
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. @default false */
  secure: z.boolean().default(false),
  /** Refuse to send unless STARTTLS succeeds. @default false */
  require_tls: z.boolean().default(false),
  /** Accept a server certificate that does not verify (a self-signed internal relay). @default false */
  insecure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  timeout: duration.default(10_000),
});

const logChannel = z.strictObject({ type: z.literal('log') });

const webhookChannel = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/, error: 'Invalid URL' }),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: duration.default(5_000),
});

/** Posts alerts to a Prometheus Alertmanager (`/api/v2/alerts`), for fleets. */
const alertmanagerChannel = z.strictObject({
  type: z.literal('alertmanager'),
  /** The Alertmanager's base URL, e.g. http://alertmanager:9093 */
  url: z.url({ protocol: /^https?$/, error: 'Invalid URL' }),
  /** Extra labels on every alert (e.g. env: prod). */
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are [a-zA-Z_][a-zA-Z0-9_]*'), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: duration.default(5_000),
});

export const channelSpec = z.discriminatedUnion('type', [discordChannel, emailChannel, logChannel, webhookChannel, alertmanagerChannel], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'type must be one of: discord, email, log, webhook, alertmanager' : undefined,
});

export const alertsSchema = z.strictObject({
  levels: z
    .strictObject({
      critical: criticalLevelSchema.optional(),
      warning: levelSchema.optional(),
      info: levelSchema.optional(),
    })
    .prefault({}),
  channels: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'channel names may hold only letters, digits, ".", "_" and "-"'), channelSpec).default({}),
  /** Undelivered notices older than this are dropped (and counted). @default 24h */
  max_age: duration.default(86_400_000),
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
    .strictObject({ url: z.url({ protocol: /^https?$/, error: 'Invalid URL' }), timeout: duration.default(10_000) })
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
export type CheckSpec = z.output<typeof checkSpec>;
export type PortCheckSpec = z.output<typeof portCheck>;
export type HttpCheckSpec = z.output<typeof httpCheck>;
export type FileCheckSpec = z.output<typeof fileCheck>;
export type CommandCheckSpec = z.output<typeof commandCheck>;
export type LaunchdCheckSpec = z.output<typeof launchdCheck>;
export type SystemdCheckSpec = z.output<typeof systemdCheck>;
export type RestartSpec = z.output<typeof restartSpec>;
export type CommandRestartSpec = z.output<typeof commandRestart>;
export type LaunchdRestartSpec = z.output<typeof launchdRestart>;
export type SystemdRestartSpec = z.output<typeof systemdRestart>;
export type ChannelSpec = z.output<typeof channelSpec>;
export type AlertmanagerChannelSpec = z.output<typeof alertmanagerChannel>;
export type AlertLevel = z.output<typeof alertLevelName>;
export type BreakerSettings = z.output<typeof breakerSettings>;
