/**
 * What `heal status` adds from the history, pure: per service its uptime over 24 h, 7 d and 30 d
 * (uptime.ts) and the latency of its last scans, drawn as a sparkline on a terminal.
 */
import type { ServiceStatusView, StatusView } from '../status/view.js';
import { ABSENT, type History } from './series.js';
import { HOLD_INTERVALS, LONGEST_WINDOW_MS, uptime, type Uptime } from './uptime.js';

/** How many of the last scans the sparkline draws. */
export const SPARK_SCANS = 24;

const BARS = '▁▂▃▄▅▆▇█';

export type ServiceHistoryView = {
  /** Per window, the share of the known time it answered (0–1), null when nothing is known. */
  uptime: Uptime;
  /** Its slowest check's latency in each of its last scans, oldest first (ms). */
  recentLatencyMs: number[];
};

export type StatusWithHistory = Omit<StatusView, 'services'> & { services: (ServiceStatusView & ServiceHistoryView)[] };

/** How far back `heal status` reads the history at `now`: the longest window, and the scan that still holds at its start. */
export function statusHistorySince(now: number, intervalMs: number): number {
  return now - LONGEST_WINDOW_MS - HOLD_INTERVALS * intervalMs;
}

/** The status view with each service's uptime and recent latencies from the history. */
export function withHistory(view: StatusView, history: History, now: number): StatusWithHistory {
  return {
    ...view,
    services: view.services.map((s) => ({ ...s, uptime: rounded(uptime(history, s.name, now, view.intervalMs)), recentLatencyMs: recentLatencies(history, s.name) })),
  };
}

/** Shares to six decimals: what a script reads, without float noise (0.996527777… → 0.996528). */
function rounded(shares: Uptime): Uptime {
  const round = (share: number | null) => (share === null ? null : Math.round(share * 1e6) / 1e6);
  return { '24h': round(shares['24h']), '7d': round(shares['7d']), '30d': round(shares['30d']) };
}

/** The slowest check's latency of each of the last `count` scans that ran a check of `service`, oldest first. */
export function recentLatencies(history: History, service: string, count = SPARK_SCANS): number[] {
  const slowest = history.services.get(service)?.slowestMs ?? [];
  const latencies: number[] = [];
  for (let i = slowest.length - 1; i >= 0 && latencies.length < count; i--) if (slowest[i]! !== ABSENT) latencies.push(slowest[i]!);
  return latencies.reverse();
}

/** Values as bars ▁ to █, from 0 to the largest of them. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => BARS[max > 0 ? Math.min(BARS.length - 1, Math.floor((Math.max(0, v) / max) * BARS.length)) : 0]).join('');
}

/** A share as people read an uptime, cut (never rounded up) to two decimals: 99.65%, 100.00%; "n/a" when unknown. */
export function formatShare(share: number | null): string {
  if (share === null) return 'n/a';
  return `${(Math.floor(share * 10_000 + 1e-9) / 100).toFixed(2)}%`;
}
