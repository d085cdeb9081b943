import { formatDuration, parseDuration } from '../common/duration.js';
import { formatLocalTime } from '../common/local-time.js';
import { HealError } from '../common/errors.js';
import { incidents, incidentsSince, type Incident } from '../history/incidents.js';
import { readHistory } from '../history/store.js';
import { openContext, print } from './context.js';

export type IncidentsOptions = { config?: string; stateDir?: string; since?: string; service?: string; json?: boolean };

/** One incident as `--json` gives it. */
export type IncidentView = { service: string; startedAt: string; endedAt: string | null; durationMs: number; restarts: number; restartsFailed: number; alerts: number };

/** `heal incidents`: the services' incidents the history holds, newest first; runs no check and takes no lock. */
export async function incidentsCommand(options: IncidentsOptions, now = Date.now()): Promise<number> {
  const sinceMs = options.since === undefined ? undefined : parseDuration(options.since);
  if (options.since !== undefined && sinceMs === undefined) throw new HealError('usage', `--since ${options.since}: not a duration; say how far back, such as 7d, 24h or 30m`);
  const { loaded, logger, stateDir } = await openContext(options);
  const { history, problems } = await readHistory(stateDir);
  for (const problem of problems) logger.warn({ stateDir }, `history: ${problem}`);
  const { service } = options;
  if (service !== undefined && !Object.hasOwn(loaded.manifest.services, service) && !history.services.has(service)) {
    throw new HealError('usage', `--service ${service}: no service of that name in the manifest or in the history`);
  }
  const all = incidents(history, now, service);
  const shown = (sinceMs === undefined ? all : incidentsSince(all, now - sinceMs)).reverse();
  if (options.json) {
    await print(`${JSON.stringify({ incidents: shown.map(view) }, null, 2)}\n`);
    return 0;
  }
  if (!shown.length) {
    const where = service === undefined ? '' : ` of ${service}`;
    await print(`no incidents${where} ${sinceMs === undefined ? 'in the history' : `in the last ${options.since}`} (kept ${formatDuration(loaded.manifest.history.keep)})\n`);
    return 0;
  }
  await print(formatIncidents(shown, now));
  return 0;
}

function view(incident: Incident): IncidentView {
  const { service, startedAt, endedAt, durationMs, restarts, restartsFailed, alerts } = incident;
  return { service, startedAt: iso(startedAt), endedAt: endedAt === null ? null : iso(endedAt), durationMs, restarts, restartsFailed, alerts };
}

/**
 * One line per incident: service, from – to (or ongoing) in the machine's local time to the second
 * (the date too when not today), how long, its restarts and alerts.
 */
export function formatIncidents(list: readonly Incident[], now: number, zone?: string): string {
  const width = Math.max(...list.map((i) => i.service.length));
  const spans = list.map((i) => `${formatLocalTime(i.startedAt, now, zone)} – ${i.endedAt === null ? 'ongoing' : formatLocalTime(i.endedAt, now, zone)}`);
  const spanWidth = Math.max(...spans.map((span) => span.length));
  const lines = list.map((i, k) => {
    const restarts = i.restarts ? `${plural(i.restarts, 'restart')}${i.restartsFailed ? ` (${i.restartsFailed} failed)` : ''}` : 'no restart';
    return `${i.service.padEnd(width)}  ${spans[k]!.padEnd(spanWidth)}  ${formatDuration(i.durationMs).padStart(6)}  ${restarts} · ${plural(i.alerts, 'alert')}`;
  });
  return `${lines.join('\n')}\n`;
}

const iso = (ms: number) => new Date(ms).toISOString();
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
