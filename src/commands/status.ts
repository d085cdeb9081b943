import { existsSync } from 'node:fs';
import { formatDuration, formatLatency } from '../common/duration.js';
import { formatAgo, formatLocalTime } from '../common/local-time.js';
import { silentLogger } from '../log/logger.js';
import { readHistory } from '../history/store.js';
import { formatShare, sparkline, statusHistorySince, withHistory, type StatusWithHistory } from '../history/summary.js';
import { STALE_INTERVALS, statusView } from '../status/view.js';
import { loadState } from '../state/store.js';
import { statusColour } from '../scan/human.js';
import { fitLine } from '../terminal/fit.js';
import { terminalStyle, type TerminalStyle } from '../terminal/style.js';
import { locateContext, openLogger, print } from './context.js';

/**
 * `heal status`: what the state directory and the history know; runs no check, takes no lock, and
 * creates nothing: with no state directory yet it says so (the log is not opened, since a
 * `log_file` inside it would create it).
 */
export async function statusCommand(options: { config?: string; stateDir?: string; json?: boolean }): Promise<number> {
  const { loaded, stateDir } = await locateContext(options);
  const missing = !existsSync(stateDir);
  if (missing && !options.json) {
    await print(`no scan has run yet (state folder ${stateDir} does not exist)\n`);
    return 0;
  }
  const logger = missing ? silentLogger() : openLogger(loaded);
  const now = Date.now();
  const history = await readHistory(stateDir, { since: statusHistorySince(now, loaded.manifest.interval) });
  for (const problem of history.problems) logger.warn({ stateDir }, `history: ${problem}`);
  const view = withHistory(statusView(loaded, await loadState(stateDir, logger, { readOnly: true }), now), history.history, now);
  await print(options.json ? `${JSON.stringify(view, null, 2)}\n` : formatStatus(view, Boolean(process.stdout.isTTY), now, terminalStyle(process.stdout)));
  return 0;
}

/** A future time of the view (an ISO string) as the machine's local time to the second. */
const at = (iso: string, now: number) => formatLocalTime(Date.parse(iso), now);
/** A past time of the view as how long ago. */
const ago = (iso: string, now: number) => formatAgo(Date.parse(iso), now);

function formatStatus(view: StatusWithHistory, tty: boolean, now: number, style: TerminalStyle): string {
  const p = style.paint;
  const head = view.lastScan
    ? `last scan ${formatDuration(view.lastScan.agoMs)} ago, took ${formatDuration(view.lastScan.durationMs)}, exit ${view.lastScan.exitCode}` +
      (view.lastScan.stale ? `\nWARNING: no scan for over ${STALE_INTERVALS} intervals (${formatDuration(STALE_INTERVALS * view.intervalMs)}): is the schedule running? (heal install …)` : '')
    : 'no scan has run yet';
  const width = Math.max(4, ...view.services.map((s) => s.name.length));
  const rows = view.services.map((s) => {
    if (!s.enabled) return `${s.name.padEnd(width)}  disabled`;
    const parts = [
      s.forMs !== undefined ? `${statusColour(p, s.status)(s.status)} for ${formatDuration(s.forMs)}` : statusColour(p, s.status)(s.status),
      s.silenced ? `silenced until ${at(s.silenced.until, now)}${s.silenced.reason ? ` (${s.silenced.reason})` : ''}` : undefined,
      s.maintenance ? `in maintenance (${s.maintenance.window}) until ${at(s.maintenance.until, now)}${s.maintenance.restart ? ', restarts go on' : ''}` : undefined,
      !s.maintenance && s.nextMaintenance ? `next maintenance (${s.nextMaintenance.window}) ${at(s.nextMaintenance.start, now)} – ${at(s.nextMaintenance.end, now)}` : undefined,
      s.flapping ? `FLAPPING: ${s.flapping.reason}` : undefined,
      s.restartsStopped ? `heal stopped restarting it until ${at(s.restartsStopped.until, now)} (${s.restartsStopped.why})` : undefined,
      s.incident ? `${s.incident.level} incident open for ${formatDuration(Math.max(0, now - Date.parse(s.incident.since)))}${s.incident.outages > 1 ? ` (${s.incident.outages} outages)` : ''}` : undefined,
      s.breaker !== 'closed' ? `breaker ${s.breaker}${s.halfOpenInMs !== undefined ? `, half-opens in ${formatDuration(s.halfOpenInMs)}` : ''}` : undefined,
      `heals ${s.healsLastHour}/${s.maxHealsPerHour} this hour`,
      s.cooldownLeftMs > 0 ? `cooldown ${formatDuration(s.cooldownLeftMs)} left` : undefined,
      s.lastHeal ? `last restart ${s.lastHeal.result}${s.lastHeal.error ? ` (${s.lastHeal.error})` : ''}` : undefined,
      s.lastAlert ? `last alert ${s.lastAlert.level} ${s.lastAlert.kind} ${ago(s.lastAlert.at, now)}` : undefined,
      s.healedHeldBack ? `${s.healedHeldBack.count} healed notice${s.healedHeldBack.count === 1 ? '' : 's'} held back by the cooldown` : undefined,
      s.uptime['30d'] !== null ? `uptime ${formatShare(s.uptime['24h'])} 24h, ${formatShare(s.uptime['7d'])} 7d, ${formatShare(s.uptime['30d'])} 30d` : undefined,
      tty && s.recentLatencyMs.length ? `latency ${sparkline(s.recentLatencyMs)} ${formatLatency(s.recentLatencyMs.at(-1)!)}` : undefined,
    ].filter(Boolean);
    return fitLine(`${s.name.padEnd(width)}  ${parts.join(' · ')}`, style.width, width + 2).join('\n');
  });
  const channels = view.channels
    .filter((c) => c.waiting || c.gone || c.lastError || c.retryAfterUntil)
    .map((c) =>
      `channel ${c.name}: ${[
        c.waiting ? `${c.waiting} waiting in the outbox` : undefined,
        c.gone ? `GONE: ${c.gone}` : undefined,
        c.retryAfterUntil ? `rate-limited until ${at(c.retryAfterUntil, now)}` : undefined,
        c.lastError && !c.gone ? `last error: ${c.lastError}` : undefined,
      ].filter(Boolean).join(' · ')}`,
    );
  const dropped = view.alertsDropped ? [`alerts dropped undelivered so far: ${view.alertsDropped}`] : [];
  const fitted = (lines: string[]) => lines.flatMap((line) => fitLine(line, style.width, 2));
  return [...fitted(head.split('\n')), ...rows, ...fitted([...channels, ...dropped])].join('\n') + '\n';
}
