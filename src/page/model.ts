/**
 * What the status page shows, pure: built from the manifest, the state and the history at one
 * `now`, with the numbers `heal status` and `heal incidents` give (status/view.ts,
 * history/summary.ts, history/uptime.ts, history/incidents.ts), so the page and the commands
 * never disagree.
 */
import type { LoadedManifest } from '../manifest/load.js';
import { incidents, incidentsSince, type Incident } from '../history/incidents.js';
import { ABSENT, type History } from '../history/series.js';
import { withHistory } from '../history/summary.js';
import { knownSpans, type Span, type Uptime } from '../history/uptime.js';
import { STALE_INTERVALS, statusView } from '../status/view.js';
import type { State } from '../state/schema.js';

/** Day cells in the uptime bar, today's (partial) last. */
export const PAGE_DAYS = 30;
/** How far back the latency chart reaches. */
export const LATENCY_WINDOW_MS = 86_400_000;
/** How many ended incidents a service lists (newest first). */
export const RECENT_INCIDENTS = 5;

const DAY_MS = 86_400_000;

/** One UTC day of the uptime bar. */
export type PageDay = { day: string; uptime: number | null };

export type PageService = {
  name: string;
  description?: string;
  status: 'up' | 'degraded' | 'down' | 'unknown' | 'disabled';
  /** When the status last changed (ms). */
  since?: number;
  /** The same shares `heal status --json` gives (0–1, null when nothing is known). */
  uptime: Uptime;
  days: PageDay[];
  /** The slowest check of each scan of the last 24 hours, oldest first. */
  latency: { t: number; ms: number }[];
  /** Its last scan's checks, as the state keeps them (redacted there). */
  checks: { name: string; ok: boolean; error?: string }[];
  /** Incidents still going on, newest first. */
  open: Incident[];
  /** Ended incidents of the last {@link PAGE_DAYS} days, newest first, at most {@link RECENT_INCIDENTS}. */
  recent: Incident[];
  /** How many ended incidents of those days were left out. */
  moreRecent: number;
};

export type PageModel = {
  generatedAt: number;
  intervalMs: number;
  /** The last scan is stale once older than this: the schedule has stopped. */
  staleAfterMs: number;
  lastScan?: { startedAt: number; durationMs: number; exitCode: number };
  /** Stale at `generatedAt` (a reader's clock may say more: the page checks again). */
  stale: boolean;
  services: PageService[];
};

/** The page's model at `now`. */
export function pageModel(loaded: LoadedManifest, state: State, history: History, now: number): PageModel {
  const view = withHistory(statusView(loaded, state, now), history, now);
  const intervalMs = view.intervalMs;
  const all = incidents(history, now);
  const firstDay = utcDayStart(now) - (PAGE_DAYS - 1) * DAY_MS;
  const services = view.services.map((s): PageService => {
    const days = dayUptimes(knownSpans(history, s.name, now, intervalMs), firstDay, now);
    const own = incidentsSince(all.filter((i) => i.service === s.name), now - PAGE_DAYS * DAY_MS).reverse();
    const ended = own.filter((i) => i.endedAt !== null);
    const description = loaded.manifest.services[s.name]?.description;
    return {
      name: s.name,
      ...(description ? { description } : {}),
      status: s.enabled ? s.status : 'disabled',
      ...(s.since ? { since: Date.parse(s.since) } : {}),
      uptime: s.uptime,
      days,
      latency: latencies(history, s.name, now - LATENCY_WINDOW_MS),
      checks: s.checks.map((c) => ({ name: c.name, ok: c.ok, ...(c.error ? { error: c.error } : {}) })),
      open: own.filter((i) => i.endedAt === null),
      recent: ended.slice(0, RECENT_INCIDENTS),
      moreRecent: Math.max(0, ended.length - RECENT_INCIDENTS),
    };
  });
  const last = state.lastScan;
  return {
    generatedAt: now,
    intervalMs,
    staleAfterMs: STALE_INTERVALS * intervalMs,
    ...(last ? { lastScan: { startedAt: last.startedAt, durationMs: last.durationMs, exitCode: last.exitCode } } : {}),
    stale: view.lastScan?.stale ?? false,
    services,
  };
}

/**
 * The uptime of each UTC day from `firstDay` to `now`'s: per day what {@link uptimeBetween} gives
 * for it, in one pass over the spans (each is split at the midnights it spans) instead of one per day.
 */
export function dayUptimes(spans: readonly Span[], firstDay: number, now: number): PageDay[] {
  const count = Math.floor((now - firstDay) / DAY_MS) + 1;
  const up = new Array<number>(count).fill(0);
  const known = new Array<number>(count).fill(0);
  for (const span of spans) {
    let from = Math.max(span.from, firstDay);
    const to = Math.min(span.to, now);
    while (from < to) {
      const day = Math.floor((from - firstDay) / DAY_MS);
      const end = Math.min(to, firstDay + (day + 1) * DAY_MS);
      known[day]! += end - from;
      if (span.up) up[day]! += end - from;
      from = end;
    }
  }
  return known.map((k, day) => ({ day: new Date(firstDay + day * DAY_MS).toISOString().slice(0, 10), uptime: k > 0 ? up[day]! / k : null }));
}

/** The slowest check's latency of each scan from `since` on that ran a check of `service`. */
function latencies(history: History, service: string, since: number): { t: number; ms: number }[] {
  const slowest = history.services.get(service)?.slowestMs ?? [];
  const points: { t: number; ms: number }[] = [];
  history.t.forEach((t, i) => {
    const ms = slowest[i] ?? ABSENT;
    if (t >= since && ms !== ABSENT) points.push({ t, ms });
  });
  return points;
}

function utcDayStart(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}
