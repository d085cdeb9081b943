/**
 * A state that remembers times in the future — the clock was set back since they were written —
 * brought back to `now`, pure. Every time a rule measures from (a restart, a breaker opening, an
 * alert, a silence, a channel's pause, the last scan) that lies ahead of `now` becomes `now`; a
 * window that ends at a remembered time (a silence's `until`, a retry-after) moves back with its
 * start, so it keeps its own length. The scan does this once, right after loading the state, and
 * saves the result: the next scan finds nothing in the future, so the change is reported once.
 */
import { aheadOf, CLOCK_TOLERANCE_MS, windowEndsAt } from '../common/time.js';
import type { BreakerState } from '../policy/breaker.js';
import type { AlertsState, ChannelStatus } from '../alerts/state.js';
import { formatDuration } from '../common/duration.js';
import type { ServiceState, State } from './schema.js';

/** What was found: how far ahead of `now` the latest remembered time lay. */
export type ClockChange = { aheadMs: number; message: string };

/**
 * The state with no time later than `now`, and the clock change when a time lay further ahead
 * than {@link CLOCK_TOLERANCE_MS} (nearer ones are moved too, silently).
 */
export function adjustForClockChange(state: State, now: number): { state: State; clockChange?: ClockChange } {
  let aheadMs = 0;
  const at = (t: number): number => {
    aheadMs = Math.max(aheadMs, aheadOf(t, now));
    return Math.min(t, now);
  };
  const window = (from: number, until: number): number => windowEndsAt(from, until, now);

  const service = (s: ServiceState): ServiceState => ({
    ...s,
    since: at(s.since),
    lastScanAt: at(s.lastScanAt),
    heals: s.heals.map((heal) => ({ ...heal, at: at(heal.at) })),
    breaker: breaker(s.breaker, at),
    ...(s.flapping ? { flapping: { ...s.flapping, since: at(s.flapping.since) } } : {}),
  });

  const channel = (c: ChannelStatus): ChannelStatus => ({
    ...c,
    ...(c.retryAfterUntil !== undefined ? { retryAfterUntil: window(c.lastError?.at ?? now, c.retryAfterUntil) } : {}),
    ...(c.lastError ? { lastError: { ...c.lastError, at: at(c.lastError.at) } } : {}),
    ...(c.gone ? { gone: { ...c.gone, at: at(c.gone.at) } } : {}),
    ...(c.lastSuccessAt !== undefined ? { lastSuccessAt: at(c.lastSuccessAt) } : {}),
  });

  const alerts: AlertsState = {
    ...state.alerts,
    keys: mapValues(state.alerts.keys, (k) => ({
      ...k,
      since: at(k.since),
      ...(k.notified ? { notified: { ...k.notified, at: at(k.notified.at) } } : {}),
      ...(k.downSince !== undefined ? { downSince: at(k.downSince) } : {}),
      ...(k.resolvedAt !== undefined ? { resolvedAt: at(k.resolvedAt) } : {}),
      ...(k.levelSince !== undefined ? { levelSince: at(k.levelSince) } : {}),
    })),
    outbox: state.alerts.outbox.map((entry) => ({ ...entry, message: { ...entry.message, createdAt: at(entry.message.createdAt) } })),
    channels: mapValues(state.alerts.channels, channel),
    silences: mapValues(state.alerts.silences, (s) => ({ ...s, until: window(s.createdAt, s.until), createdAt: at(s.createdAt) })),
  };

  const next: State = {
    ...state,
    ...(state.lastScan ? { lastScan: { ...state.lastScan, startedAt: at(state.lastScan.startedAt) } } : {}),
    services: mapValues(state.services, service),
    alerts,
  };
  if (aheadMs <= CLOCK_TOLERANCE_MS) return { state: next };
  const message = `clock change: the state remembers times up to ${formatDuration(aheadMs)} in the future (was the clock set back?); cooldowns, breakers, silences and alert cooldowns that began then now count from this scan`;
  return { state: next, clockChange: { aheadMs, message } };
}

function breaker(b: BreakerState, at: (t: number) => number): BreakerState {
  switch (b.state) {
    case 'closed':
      return b;
    case 'open':
      return { ...b, openedAt: at(b.openedAt) };
    case 'half_open':
      return { ...b, since: at(b.since) };
  }
}

/** A record with each value mapped; own keys only, so a service named "constructor" stays data. */
function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}
