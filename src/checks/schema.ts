/**
 * The manifest's check specs (`services.<name>.checks[]`), one per check type, and their union.
 * A new check type adds its spec here, its `Check` in a file of its own and its entry in the
 * registry (index.ts); the registry's type does not compile until all three agree.
 */
import { z } from 'zod';
import type { BUILTIN_DEFAULTS } from '../manifest/defaults.js';
import { argv, duration, hostname, httpUrl, launchdDomain, launchdLabel, percent, port, retries, size, specsByType, systemdUnit } from '../manifest/fields.js';

/** What a failing check does to its service. */
export const onFail = z.enum(['restart', 'alert'], { error: 'expected restart (the service is down and restarted) or alert (the service is degraded, never restarted)' });

/**
 * Knobs every check has. One left out is the service's (resolve.ts `planCheck`): its own, else
 * the manifest's `defaults`, else the built-in one ({@link BUILTIN_DEFAULTS}).
 */
const checkCommon = {
  /** A label for reports and metrics; defaults to one derived from the check. */
  name: z.string().min(1).optional(),
  /** How long one attempt may take. @default the service's `timeout` */
  timeout: duration.optional(),
  /** Extra attempts before it counts as failed, for flaky endpoints. @default the service's `retries` */
  retries: retries.optional(),
  /** Wait between attempts. @default the service's `retry_delay` */
  retry_delay: duration.optional(),
  /**
   * What a failure of this check does: `restart` counts the service down (heal restarts it);
   * `alert` only makes it `degraded` — reported and alerted at its `degraded_level`, never
   * restarted. @default "restart" (a certificate check: "alert")
   */
  on_fail: onFail.default('restart'),
};

/** The most an answer may take: a slower one fails as slow ("answered in 1.2s, max_latency 800ms"). */
const maxLatency = duration.optional();

/** TCP connect to host:port. */
export const portCheck = z.strictObject({
  type: z.literal('port'),
  /** @default "127.0.0.1" */
  host: hostname.default('127.0.0.1'),
  port,
  /** A connect slower than this fails as slow. */
  max_latency: maxLatency,
  ...checkCommon,
});

const statusCode = z.number().int().min(100).max(599);

/** An HTTP(S) request whose status, body or JSON field must match. */
export const httpCheck = z.strictObject({
  type: z.literal('http'),
  url: httpUrl,
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
  /** An answer slower than this (status line and body read) fails as slow. */
  max_latency: maxLatency,
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

/**
 * The certificate a TLS server presents: it fails when it expires within `expires_within`, has
 * expired, or does not verify (against the system's CAs, or `ca`). Alert-only by default.
 */
export const certificateCheck = z.strictObject({
  type: z.literal('certificate'),
  host: hostname,
  /** @default 443 */
  port: port.default(443),
  /** The name sent (SNI) and verified against. @default the host, unless it is an IP address */
  servername: z.string().min(1).optional(),
  /** Fail when it expires sooner than this. @default 14d */
  expires_within: duration.default(14 * 86_400_000),
  /** A PEM file of CA certificates trusted instead of the system's (a private CA), relative to the manifest. */
  ca: z.string().min(1).optional(),
  /** Do not ask that it verifies; its expiry is still read and judged. @default false */
  insecure: z.boolean().default(false),
  ...checkCommon,
  /** @default "alert": an expiring certificate is news, not a reason to restart. */
  on_fail: onFail.default('alert'),
});

/**
 * Memory and CPU of the service's own process, found by the pid its restart knows (a pidfile, the
 * detached process heal started, launchd's or systemd's pid): over a limit is down.
 */
export const processCheck = z
  .strictObject({
    type: z.literal('process'),
    /** Most resident memory: "1.5GB", "512MB" (binary: MB = MiB). */
    max_rss: size.optional(),
    /** Most CPU over `sample`, in percent of one core: "90%" (200% is two cores). */
    max_cpu: percent.optional(),
    /** How long the CPU share is measured (cut to half the check's timeout). @default 1s */
    sample: duration.refine((ms) => ms >= 100, { error: 'must be at least 100ms' }).default(1_000),
    ...checkCommon,
  })
  .refine((spec) => spec.max_rss !== undefined || spec.max_cpu !== undefined, { error: 'a process check needs max_rss, max_cpu or both' });

/** One check of a service, by its `type`. */
export const checkSpec = specsByType([portCheck, httpCheck, fileCheck, commandCheck, launchdCheck, systemdCheck, certificateCheck, processCheck]);

export type CheckSpec = z.output<typeof checkSpec>;
export type PortCheckSpec = z.output<typeof portCheck>;
export type HttpCheckSpec = z.output<typeof httpCheck>;
export type FileCheckSpec = z.output<typeof fileCheck>;
export type CommandCheckSpec = z.output<typeof commandCheck>;
export type LaunchdCheckSpec = z.output<typeof launchdCheck>;
export type SystemdCheckSpec = z.output<typeof systemdCheck>;
export type CertificateCheckSpec = z.output<typeof certificateCheck>;
export type ProcessCheckSpec = z.output<typeof processCheck>;
