/**
 * One pass: lock ─ load state ─ run checks (all at once) ─ decide ─ restart + verify (parents
 * first) ─ next state ─ save state (outbox included) ─ send ─ save state ─ history ─ metrics ─
 * unlock.
 * The manifest is loaded by the caller first, so a bad manifest never touches the state
 * directory. This file is the choreography of the effects; what the state becomes is one pure
 * function (next-state.ts), and every decision lives in policy/ and alerts/manager.ts.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { channelsResendingFiring } from '../alerts/channels/index.js';
import { deliver } from '../alerts/deliver.js';
import { alertConfig, type AlertConfig } from '../alerts/levels.js';
import type { Deps } from '../deps.js';
import { HealError } from '../common/errors.js';
import { heartbeatSummary, pingHeartbeat } from './heartbeat.js';
import { recordScan } from '../history/scan.js';
import type { LoadedManifest } from '../manifest/load.js';
import { programProblemLines } from '../manifest/programs.js';
import { maintenanceWindows, resolveServices, type ServiceConfig } from '../manifest/resolve.js';
import { machineTimeZone } from '../common/time.js';
import type { NamedWindow } from '../policy/maintenance.js';
import { renderMetrics } from '../metrics/render.js';
import { writeMetricsFile } from '../metrics/write.js';
import { interpolatedSecrets, redactor } from '../common/redact.js';
import { checkServices } from './check-services.js';
import { healServices } from './heal-services.js';
import { nextState, type NextState } from './next-state.js';
import { scanExitCode, scanReport, type ScanReport } from './report.js';
import { adjustForClockChange } from '../state/clock-change.js';
import { acquireLock } from '../state/lock.js';
import { deliveryJournal, healJournal } from '../state/journal.js';
import type { State } from '../state/schema.js';
import { loadState, trySaveState, type SaveOutcome } from '../state/store.js';

export { scanExitCode, type ScanReport, type ServiceReport } from './report.js';

export type ScanOptions = {
  loaded: LoadedManifest;
  stateDir: string;
  deps: Deps;
  /** Decide and report, restart nothing, write no state, send nothing. */
  dryRun?: boolean;
  /** Scan only these services. */
  only?: readonly string[];
};

/** Kept free at the end of the scan's deadline to save the state. */
const SAVE_MARGIN_MS = 1_500;

/** Kept free for sending alerts: checks and restarts end this long before the deadline. */
export function alertReserveMs(scanTimeoutMs: number): number {
  return Math.min(15_000, Math.round(scanTimeoutMs / 4));
}

export async function scan(options: ScanOptions): Promise<ScanReport> {
  const { deps, stateDir, loaded } = options;
  const { manifest } = loaded;
  const partial = Boolean(options.dryRun || options.only?.length);
  // On a full or read-only disk the lock cannot be written: unless a live scan holds it, scan anyway.
  const lock = options.dryRun ? undefined : await acquireLock(stateDir, { logger: deps.logger, proceedUnwritable: true });
  const heartbeat = partial ? undefined : manifest.heartbeat;
  // Not awaited: the start ping must not delay the checks.
  const started = deps.now();
  const startPing = heartbeat && pingHeartbeat(heartbeat.url, 'start', undefined, { timeoutMs: heartbeat.timeout });
  try {
    // Times the state remembers from the future (the clock was set back) count from now: said once, saved so.
    const { state, clockChange } = adjustForClockChange(await loadState(stateDir, deps.logger), started);
    if (clockChange) deps.logger.warn({ aheadMs: clockChange.aheadMs }, clockChange.message);
    // A program or cwd a restart or check could not start with (manifest/programs.ts): warned every scan.
    const programs = await programProblemLines(loaded, deps.env, options.only);
    for (const line of programs) deps.logger.warn({ manifest: loaded.path }, line);
    const alerts = alertConfig(manifest);
    const windows = maintenanceWindows(manifest, machineTimeZone);

    const outcomes = await checkAndHeal(options, state, started, windows);
    const next = nextState({
      manifest,
      alerts,
      resendChannels: channelsResendingFiring(alerts.channels),
      state,
      outcomes,
      started,
      now: deps.now(),
      host: hostname(),
    });
    logNext(deps, next);

    let final = next.state;
    if (!options.dryRun) {
      // Written before any send: a scan killed from here on sends these on the next scan. A disk
      // that refuses it does not hold the sends back (the final save says so). With nothing to
      // send there is nothing to protect: the final save alone is enough (a healthy scan saves once).
      if (final.alerts.outbox.length) await trySaveState(stateDir, final);
      const deadline = started + manifest.scan_timeout - SAVE_MARGIN_MS;
      const onDelivered = deliveryJournal(stateDir, final, deps);
      final = { ...final, alerts: await deliver(final.alerts, { deps, channels: alerts.channels, maxAgeMs: alerts.maxAgeMs, deadline, intervalMs: manifest.interval, onDelivered, secrets: loaded.secrets }) };
    }
    const ended = deps.now();
    const warnings = [...(clockChange ? [clockChange.message] : []), ...programs];
    const report: ScanReport = { ...scanReport(started, ended, Boolean(options.dryRun), next.reports, next.routed, final), ...(warnings.length ? { warnings } : {}) };
    final = { ...final, lastScan: { startedAt: started, durationMs: report.durationMs, exitCode: scanExitCode(report) } };
    if (!options.dryRun) stateSaved(report, await trySaveState(stateDir, final), deps);
    // The history holds full scans only; a disk that refuses the line is a warning (history/scan.ts).
    const unrecorded = partial ? undefined : await recordScan(stateDir, started, report, outcomes, { keepMs: manifest.history.keep, now: ended, logger: deps.logger });
    if (unrecorded) report.warnings = [...(report.warnings ?? []), unrecorded];
    // The status page (page/), only when the manifest asks: loaded then, and a failed write is a warning.
    const unpaged = partial || !manifest.status_page ? undefined : await (await import('../page/scan.js')).statusPageAfterScan({ loaded, stateDir, state: final, now: ended, logger: deps.logger });
    if (unpaged) report.warnings = [...(report.warnings ?? []), unpaged];
    // A partial scan would drop the series of the services it did not check.
    if (!partial) await writeMetrics(options, report, final, alerts, ended);
    if (heartbeat) await ping(deps, startPing, () => pingHeartbeat(heartbeat.url, scanExitCode(report) === 0 ? 'success' : 'fail', heartbeatSummary(report), { timeoutMs: heartbeat.timeout }));
    return report;
  } catch (error) {
    if (heartbeat) await ping(deps, startPing, () => pingHeartbeat(heartbeat.url, 'fail', `heal scan failed: ${(error as Error).message}`, { timeoutMs: heartbeat.timeout }));
    throw error;
  } finally {
    await lock?.release();
  }
}

/** Puts the final save's outcome in the report; a state that was not saved is logged as an error. */
function stateSaved(report: ScanReport, saved: SaveOutcome, deps: Deps): void {
  report.stateSaved = saved.ok;
  if (saved.ok) return;
  report.stateError = saved.error;
  deps.logger.error({ stateSaved: false, error: saved.error }, `state not saved: ${saved.error}; this scan's checks, heals and alerts will not be remembered, and the next scan starts from the last saved state`);
}

/** The effects of the scan's middle: every check at once, then the decisions and heals, parents first. */
async function checkAndHeal(options: ScanOptions, state: State, started: number, windows: readonly NamedWindow[]) {
  const { deps, loaded } = options;
  const { manifest } = loaded;
  const deadline = started + manifest.scan_timeout - alertReserveMs(manifest.scan_timeout);
  const redact = redactor(interpolatedSecrets(loaded.secrets));
  const services = selectServices(resolveServices(manifest), options.only, Object.keys(manifest.services));
  const checks = await checkServices(services, state, started, { deps, deadline, concurrency: manifest.concurrency, baseDir: loaded.baseDir }, redact);
  return healServices(services, checks, {
    deps, state, redact, deadline, windows,
    baseDir: loaded.baseDir,
    stateDir: options.stateDir,
    concurrency: manifest.concurrency,
    dryRun: Boolean(options.dryRun),
    ...healJournal(options.stateDir, state, deps),
  });
}

/** The log lines of the next state: each notice made, and each service heal stopped restarting for a while. */
function logNext(deps: Deps, next: NextState): void {
  for (const { notice, channels } of next.routed) deps.logger.info({ notice: notice.id, kind: notice.kind, level: notice.level, channels }, `alert: ${notice.title}`);
  for (const { service, untilMs, why } of next.stopped) {
    const until = new Date(untilMs).toISOString();
    deps.logger.warn({ service, until }, `heal stopped restarting ${service} until ${until}: ${why}`);
  }
}

function selectServices(services: ServiceConfig[], only: readonly string[] | undefined, all: string[]): ServiceConfig[] {
  if (!only?.length) return services;
  for (const name of only) {
    if (!all.includes(name)) throw new HealError('usage', `--only ${name}: no service of that name in the manifest`);
    if (!services.some((s) => s.name === name)) throw new HealError('usage', `--only ${name}: the service is disabled (enabled: false)`);
  }
  return services.filter((s) => only.includes(s.name));
}

async function writeMetrics(options: ScanOptions, report: ScanReport, state: State, alerts: AlertConfig, now: number): Promise<void> {
  const file = options.loaded.manifest.metrics_file;
  if (!file) return;
  const path = resolve(options.loaded.baseDir, file);
  const written = await writeMetricsFile(path, renderMetrics({ report, state, now, alertLevels: alerts.levels }));
  if (!written.ok) options.deps.logger.warn({ file: path }, written.error);
}

/** Waits for the start ping, then sends the end ping; a failed ping is logged, never fatal. */
async function ping(deps: Deps, start: Promise<{ ok: boolean; error?: string }> | undefined, end: () => Promise<{ ok: boolean; error?: string }>): Promise<void> {
  for (const [phase, attempt] of [['start', () => start], ['end', end]] as const) {
    const result = await attempt();
    if (result && !result.ok) deps.logger.warn({ phase }, result.error ?? 'heartbeat ping failed');
  }
}
