/**
 * Incidents over the history, pure. An incident runs from the first scan that found a service
 * failing to the first scan that saw it healthy again:
 *
 * - it starts at the start of a `down` scan, or of a `healed` one (found down, and a restart
 *   brought it back within that scan: an incident of its own, ending with that scan);
 * - it ends at the start of the first `up` or `degraded` scan after it (its checks passed there),
 *   or at the end of the first `healed` one (the restart brought it back during that scan); it is
 *   open (no end) while no such scan has come;
 * - `skipped` scans, scans that did not judge the service and gaps with no scan neither start
 *   nor end one;
 * - `restarts` counts the scans in it that restarted the service, `restartsFailed` those whose
 *   restart did not bring it back; `alerts` counts the notices its scans made about the service,
 *   the one that ended it included (its resolved notice, when that went out at once).
 *
 * An incident whose start lies before the oldest scan kept starts at that scan.
 */
import { statusAt, type History } from './series.js';

export type Incident = {
  service: string;
  startedAt: number;
  /** Null while it is open. */
  endedAt: number | null;
  /** Until its end, or until `now` while it is open. */
  durationMs: number;
  restarts: number;
  restartsFailed: number;
  alerts: number;
};

/** Every incident of every service (or of `service`), oldest first by start. */
export function incidents(history: History, now: number, service?: string): Incident[] {
  const found: Incident[] = [];
  for (const [name, series] of history.services) {
    if (service !== undefined && name !== service) continue;
    let open: Omit<Incident, 'endedAt' | 'durationMs'> | undefined;
    const close = (endedAt: number | null) => {
      found.push({ ...open!, endedAt, durationMs: Math.max(0, (endedAt ?? now) - open!.startedAt) });
      open = undefined;
    };
    history.t.forEach((t, i) => {
      const status = statusAt(series, i);
      const failing = status === 'down' || status === 'healed';
      if (failing && !open) open = { service: name, startedAt: t, restarts: 0, restartsFailed: 0, alerts: 0 };
      if (!open) return;
      open.alerts += series.alerts.get(i) ?? 0;
      const restart = series.restarts.get(i);
      // A restart of a service found healthy (restarted with its parent) is no part of it.
      if (restart && failing) {
        open.restarts += 1;
        if (restart === 'failed') open.restartsFailed += 1;
      }
      if (status === 'healed') close(t + (history.durationMs[i] ?? 0));
      else if (status === 'up' || status === 'degraded') close(t);
    });
    if (open) close(null);
  }
  return found.sort((a, b) => a.startedAt - b.startedAt || a.service.localeCompare(b.service));
}

/** The incidents that were open at some time from `since` on: open ones, and those that ended then or later. */
export function incidentsSince(all: readonly Incident[], since: number): Incident[] {
  return all.filter((i) => i.endedAt === null || i.endedAt >= since);
}
