/**
 * Uptime over the history, pure: the share of the known time a service answered. A scan's status
 * holds from its start until the next scan starts, but never longer than {@link HOLD_INTERVALS}
 * schedule intervals: past that, a gap with no scan is unknown. `up`, `healed` and `degraded`
 * count as up (the service answered), `down` as down; `skipped` (waiting on a parent), a scan that
 * did not judge the service (disabled, not in the manifest yet) and a gap are unknown and left
 * out. Nothing known in a window: null.
 */
import type { ServiceStatus } from '../scan/report.js';
import { statusAt, type History } from './series.js';

/** A scan's status holds at most this many intervals; a longer gap is unknown. */
export const HOLD_INTERVALS = 2;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The uptime windows `heal status` shows, by name. */
export const UPTIME_WINDOWS = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS } as const;
export type UptimeWindow = keyof typeof UPTIME_WINDOWS;
/** Per window, the share of the known time the service was up (0–1), or null when nothing is known. */
export type Uptime = Record<UptimeWindow, number | null>;

/** The longest of the windows: how far back `heal status` reads. */
export const LONGEST_WINDOW_MS = Math.max(...Object.values(UPTIME_WINDOWS));

/** A stretch of time a service was known up or down: [from, to). */
export type Span = { from: number; to: number; up: boolean };

const ANSWERED: ReadonlySet<ServiceStatus> = new Set(['up', 'healed', 'degraded']);

/**
 * The stretches a service was known up or down, oldest first: each scan that judged it up or
 * down holds until the next scan, capped at `HOLD_INTERVALS × intervalMs` and at `now`.
 */
export function knownSpans(history: History, service: string, now: number, intervalMs: number): Span[] {
  const series = history.services.get(service);
  if (!series) return [];
  const hold = HOLD_INTERVALS * intervalMs;
  const spans: Span[] = [];
  history.t.forEach((t, i) => {
    const status = statusAt(series, i);
    if (!status || status === 'skipped') return;
    const to = Math.min(history.t[i + 1] ?? Infinity, t + hold, now);
    if (to > t) spans.push({ from: t, to, up: ANSWERED.has(status) });
  });
  return spans;
}

/** The share of the known time in [from, to) that the spans were up; null when none of it is known. */
export function uptimeBetween(spans: readonly Span[], from: number, to: number): number | null {
  let up = 0;
  let known = 0;
  for (const span of spans) {
    const length = Math.min(span.to, to) - Math.max(span.from, from);
    if (length <= 0) continue;
    known += length;
    if (span.up) up += length;
  }
  return known > 0 ? up / known : null;
}

/** A service's uptime over the last 24 h, 7 d and 30 d before `now`. */
export function uptime(history: History, service: string, now: number, intervalMs: number): Uptime {
  const spans = knownSpans(history, service, now, intervalMs);
  const of = (window: number) => uptimeBetween(spans, now - window, now);
  return { '24h': of(UPTIME_WINDOWS['24h']), '7d': of(UPTIME_WINDOWS['7d']), '30d': of(UPTIME_WINDOWS['30d']) };
}
