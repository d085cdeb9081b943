/** What the state knows of each service, derived without running a check: a pure view. */
import type { LoadedManifest } from './manifest/load.js';
import { resolveService } from './manifest/resolve.js';
import type { State } from './state/schema.js';

export type ServiceStatusView = {
  name: string;
  enabled: boolean;
  status: 'up' | 'down' | 'unknown';
  /** ISO time the status last changed. */
  since?: string;
  /** How long it has been in that status, in milliseconds. */
  forMs?: number;
  failingScans: number;
  healsLastHour: number;
  maxHealsPerHour: number;
  /** Milliseconds until the cooldown allows another restart; 0 when it does now. */
  cooldownLeftMs: number;
  lastHeal?: { at: string; result: 'healed' | 'failed'; error?: string };
  checks: { name: string; ok: boolean; latencyMs: number; error?: string }[];
};

export type StatusView = {
  lastScan?: { startedAt: string; durationMs: number; exitCode: number; agoMs: number };
  services: ServiceStatusView[];
};

const HOUR_MS = 3_600_000;

export function statusView(loaded: LoadedManifest, state: State, now: number): StatusView {
  const services = Object.entries(loaded.manifest.services).map(([name, spec]): ServiceStatusView => {
    const config = resolveService(loaded.manifest, name, spec);
    const known = state.services[name];
    const lastHeal = known?.heals.at(-1);
    return {
      name,
      enabled: spec.enabled,
      status: known?.status ?? 'unknown',
      since: known ? new Date(known.since).toISOString() : undefined,
      forMs: known ? now - known.since : undefined,
      failingScans: known?.failingScans ?? 0,
      healsLastHour: known?.heals.filter((h) => now - h.at < HOUR_MS).length ?? 0,
      maxHealsPerHour: config.maxHealsPerHour,
      cooldownLeftMs: lastHeal ? Math.max(0, lastHeal.at + config.cooldownMs - now) : 0,
      lastHeal: lastHeal && { at: new Date(lastHeal.at).toISOString(), result: lastHeal.result, ...(lastHeal.error ? { error: lastHeal.error } : {}) },
      checks: known?.checks ?? [],
    };
  });
  const last = state.lastScan;
  return {
    lastScan: last && { startedAt: new Date(last.startedAt).toISOString(), durationMs: last.durationMs, exitCode: last.exitCode, agoMs: now - last.startedAt },
    services,
  };
}
