/**
 * Effective per-service settings: the service's own value, else the manifest's `defaults`,
 * else the built-in default (defaults.ts). Resolving once keeps `?? default` chains out of the
 * rest of the code.
 */
import type { ScanThreshold } from '../common/scan-window.js';
import { parseEvery, type NamedWindow } from '../policy/maintenance.js';
import { BUILTIN_DEFAULTS } from './defaults.js';
import type { CheckSpec } from '../checks/schema.js';
import type { BreakerSettings, Manifest, ServiceSpec } from './schema.js';

/** One service with every setting decided. */
export type ServiceConfig = {
  name: string;
  spec: ServiceSpec;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  cooldownMs: number;
  maxHealsPerHour: number;
  verifyTimeoutMs: number;
  startGraceMs: number;
  /** Flapping: went down in `count` of the last `of` scans. */
  flapThreshold: ScanThreshold;
  breaker: BreakerSettings;
};

/** Settings of one check attempt, after the service's defaults are applied. */
export type CheckPlan = {
  spec: CheckSpec;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
};

export function resolveService(manifest: Manifest, name: string, spec: ServiceSpec): ServiceConfig {
  const d = manifest.defaults;
  return {
    name,
    spec,
    timeoutMs: spec.timeout ?? d.timeout ?? BUILTIN_DEFAULTS.timeout,
    retries: spec.retries ?? d.retries ?? BUILTIN_DEFAULTS.retries,
    retryDelayMs: spec.retry_delay ?? d.retry_delay ?? BUILTIN_DEFAULTS.retry_delay,
    cooldownMs: spec.cooldown ?? d.cooldown ?? BUILTIN_DEFAULTS.cooldown,
    maxHealsPerHour: spec.max_heals_per_hour ?? d.max_heals_per_hour ?? BUILTIN_DEFAULTS.max_heals_per_hour,
    verifyTimeoutMs: spec.verify_timeout ?? d.verify_timeout ?? BUILTIN_DEFAULTS.verify_timeout,
    startGraceMs: spec.start_grace ?? d.start_grace ?? BUILTIN_DEFAULTS.start_grace,
    flapThreshold: spec.flap_threshold ?? d.flap_threshold ?? BUILTIN_DEFAULTS.flap_threshold,
    breaker: { ...d.breaker, ...spec.breaker },
  };
}

/** The enabled services, resolved, in manifest order. */
export function resolveServices(manifest: Manifest): ServiceConfig[] {
  return Object.entries(manifest.services)
    .filter(([, spec]) => spec.enabled)
    .map(([name, spec]) => resolveService(manifest, name, spec));
}

export function planCheck(service: ServiceConfig, spec: CheckSpec): CheckPlan {
  return {
    spec,
    timeoutMs: spec.timeout ?? service.timeoutMs,
    retries: spec.retries ?? service.retries,
    retryDelayMs: spec.retry_delay ?? service.retryDelayMs,
  };
}

/** The manifest's maintenance windows, parsed; a window without a `timezone` is read in `machineZone` (a name, or a function asked only then). */
export function maintenanceWindows(manifest: Manifest, machineZone: string | (() => string)): NamedWindow[] {
  return Object.entries(manifest.maintenance).flatMap(([name, window]) => {
    const parsed = parseEvery(window.every);
    // Validation refused a schedule that does not parse; a cached manifest holds only valid ones.
    if (!parsed.ok) return [];
    // Asked only when a window needs it: the first Intl call costs a scan ~10-25 ms (ICU's zones).
    const zone = window.timezone ?? (typeof machineZone === 'function' ? machineZone() : machineZone);
    return [{ name, schedule: parsed.schedule, timeZone: zone, ...(window.services ? { services: window.services } : {}), restart: window.restart }];
  });
}
