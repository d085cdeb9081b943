/** What the state knows of each service, derived without running a check: a pure view. */
import { alertConfig } from '../alerts/levels.js';
import { channelPausedUntil } from '../alerts/outbox.js';
import { breakerAt, halfOpensAt } from '../policy/breaker.js';
import type { LoadedManifest } from '../manifest/load.js';
import { maintenanceWindows, resolveService } from '../manifest/resolve.js';
import { maintenanceFor } from '../policy/maintenance.js';
import { elapsedSince, machineTimeZone, windowEndsAt } from '../common/time.js';
import { cooldownEndsAt, healsInLastHour, restartsStopped } from '../policy/heal.js';
import { serviceStateOf } from '../state/model.js';
import type { State } from '../state/schema.js';

export type ServiceStatusView = {
  name: string;
  enabled: boolean;
  /** `degraded`: up, but some of its last checks failed (those with `on_fail: alert`). */
  status: 'up' | 'degraded' | 'down' | 'unknown';
  /** ISO time the status last changed. */
  since?: string;
  /** How long it has been in that status, in milliseconds. */
  forMs?: number;
  failingScans: number;
  healsLastHour: number;
  maxHealsPerHour: number;
  /** Milliseconds until the cooldown allows another restart; 0 when it does now. */
  cooldownLeftMs: number;
  breaker: 'closed' | 'open' | 'half_open';
  /** While open: milliseconds until one restart is tried. */
  halfOpenInMs?: number;
  flapping?: { since: string; reason: string };
  /** Heal has stopped restarting it for a while (breaker open, flapping, hourly cap): until when, and why. */
  restartsStopped?: { until: string; why: string };
  /** Its open down incident: at which level (raised by escalate_after), since when, how many outages it folds. */
  incident?: { level: string; since: string; outages: number };
  /** Healed notices its level's cooldown held back since the last one went out. */
  healedHeldBack?: { count: number; lastNoticeAt?: string };
  silenced?: { until: string; reason?: string };
  /** A maintenance window holds it now: which, until when, whether restarts go on. */
  maintenance?: { window: string; until: string; restart: boolean };
  /** Its next maintenance window. */
  nextMaintenance?: { window: string; start: string; end: string };
  lastHeal?: { at: string; result: 'healed' | 'failed'; error?: string; facts?: Record<string, string> };
  lastAlert?: { at: string; kind: string; level: string; channels: string[] };
  checks: { name: string; ok: boolean; latencyMs: number; error?: string }[];
};

export type ChannelStatusView = { name: string; waiting: number; lastSuccessAt?: string; lastError?: string; gone?: string; retryAfterUntil?: string };

export type StatusView = {
  /** `stale`: older than three schedule intervals — the schedule has probably stopped. */
  lastScan?: { startedAt: string; durationMs: number; exitCode: number; agoMs: number; stale: boolean };
  /** The manifest's `interval`, in milliseconds. */
  intervalMs: number;
  services: ServiceStatusView[];
  channels: ChannelStatusView[];
  /** Messages given up on (too old, or refused for good). */
  alertsDropped: number;
};

const iso = (ms: number) => new Date(ms).toISOString();

/** An alert key of the state, own keys only (a service named "constructor" stays data). */
function keyOf(state: State, key: string) {
  return Object.hasOwn(state.alerts.keys, key) ? state.alerts.keys[key] : undefined;
}

/** A last scan older than this many intervals means the schedule has stopped. */
export const STALE_INTERVALS = 3;

export function statusView(loaded: LoadedManifest, state: State, now: number, machineZone = machineTimeZone()): StatusView {
  const windows = maintenanceWindows(loaded.manifest, machineZone);
  const services = Object.entries(loaded.manifest.services).map(([name, spec]): ServiceStatusView => {
    const { current: inWindow, next: nextWindow } = maintenanceFor(windows, name, now);
    const config = resolveService(loaded.manifest, name, spec);
    const known = serviceStateOf(state, name);
    const lastHeal = known?.heals.at(-1);
    const breaker = known ? breakerAt(known.breaker, now) : undefined;
    const reopens = breaker ? halfOpensAt(breaker, now) : undefined;
    const silence = Object.hasOwn(state.alerts.silences, name) ? state.alerts.silences[name] : undefined;
    const silencedUntil = silence ? windowEndsAt(silence.createdAt, silence.until, now) : undefined;
    // The last notice the state recorded for the service, else (a state from before it) the latest its alert keys still hold.
    const lastAlert = [...(known?.lastAlert ? [known.lastAlert] : []), ...Object.entries(state.alerts.keys)
      .filter(([key, k]) => key.startsWith(`${name}/`) && k.notified)
      .map(([key, k]) =>
        // A resolved incident kept for damping: its last word was the resolved notice.
        k.resolvedAt !== undefined && k.resolvedAt >= k.notified!.at
          ? { at: k.resolvedAt, kind: 'resolved', level: k.level, channels: k.notified!.channels }
          : { at: k.notified!.at, kind: key.slice(name.length + 1), level: k.level, channels: k.notified!.channels },
      )]
      .sort((a, b) => b.at - a.at)[0];
    const down = keyOf(state, `${name}/down`);
    const healedKey = keyOf(state, `${name}/healed`);
    const stopped = restartsStopped(config, known, now);
    return {
      name,
      enabled: spec.enabled,
      status: known ? (known.status === 'up' && known.checks.some((c) => !c.ok) ? 'degraded' : known.status) : 'unknown',
      ...(known ? { since: iso(known.since), forMs: elapsedSince(known.since, now) } : {}),
      failingScans: known?.failingScans ?? 0,
      healsLastHour: known ? healsInLastHour(known.heals, now).length : 0,
      maxHealsPerHour: config.maxHealsPerHour,
      cooldownLeftMs: lastHeal ? Math.max(0, cooldownEndsAt(lastHeal.at, config.cooldownMs, now) - now) : 0,
      breaker: breaker?.state ?? 'closed',
      ...(reopens !== undefined ? { halfOpenInMs: reopens - now } : {}),
      ...(known?.flapping ? { flapping: { since: iso(known.flapping.since), reason: known.flapping.reason } } : {}),
      ...(stopped ? { restartsStopped: { until: iso(stopped.untilMs), why: stopped.why } } : {}),
      ...(down?.notified && down.resolvedAt === undefined ? { incident: { level: down.level, since: iso(down.since), outages: down.outages ?? 1 } } : {}),
      ...(healedKey?.held ? { healedHeldBack: { count: healedKey.held, ...(healedKey.notified ? { lastNoticeAt: iso(healedKey.notified.at) } : {}) } } : {}),
      ...(silence && silencedUntil !== undefined && silencedUntil > now ? { silenced: { until: iso(silencedUntil), ...(silence.reason ? { reason: silence.reason } : {}) } } : {}),
      ...(inWindow ? { maintenance: { window: inWindow.name, until: iso(inWindow.end), restart: inWindow.restart } } : {}),
      ...(nextWindow ? { nextMaintenance: { window: nextWindow.name, start: iso(nextWindow.start), end: iso(nextWindow.end) } } : {}),
      ...(lastHeal ? { lastHeal: { at: iso(lastHeal.at), result: lastHeal.result, ...(lastHeal.error ? { error: lastHeal.error } : {}), ...(lastHeal.facts ? { facts: lastHeal.facts } : {}) } } : {}),
      ...(lastAlert ? { lastAlert: { ...lastAlert, at: iso(lastAlert.at) } } : {}),
      checks: known?.checks ?? [],
    };
  });
  const channels = Object.keys(alertConfig(loaded.manifest).channels).map((name): ChannelStatusView => {
    const s = state.alerts.channels[name];
    const paused = channelPausedUntil(state.alerts, name, now);
    return {
      name,
      waiting: state.alerts.outbox.filter((e) => e.message.channel === name).length,
      ...(s?.lastSuccessAt ? { lastSuccessAt: iso(s.lastSuccessAt) } : {}),
      ...(s?.lastError ? { lastError: s.lastError.error } : {}),
      ...(s?.gone ? { gone: s.gone.error } : {}),
      ...(paused !== undefined ? { retryAfterUntil: iso(paused) } : {}),
    };
  });
  const last = state.lastScan;
  return {
    ...(last ? { lastScan: { startedAt: iso(last.startedAt), durationMs: last.durationMs, exitCode: last.exitCode, agoMs: elapsedSince(last.startedAt, now), stale: elapsedSince(last.startedAt, now) > STALE_INTERVALS * loaded.manifest.interval } } : {}),
    intervalMs: loaded.manifest.interval,
    services,
    channels,
    alertsDropped: state.alerts.dropped,
  };
}
