/**
 * One pass: lock ─ load state ─ run checks (all at once) ─ decide ─ restart + verify (parents
 * first) ─ plan alerts ─ save state (outbox included) ─ send ─ save state ─ metrics ─ unlock.
 * The manifest is loaded by the caller first, so a bad manifest never touches the state
 * directory. Decisions are pure (policy/heal.ts, policy/record.ts, alerts/manager.ts); this file
 * is the choreography of the effects around them.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { deliver } from '../alerts/deliver.js';
import { alertConfig } from '../alerts/levels.js';
import { planAlerts, type HeldNotice, type RoutedNotice, type ServiceAlertInput } from '../alerts/manager.js';
import { enqueue } from '../alerts/outbox.js';
import type { Deps } from '../deps.js';
import { HealError } from '../common/errors.js';
import { restartsStopped } from '../policy/heal.js';
import { heartbeatSummary, pingHeartbeat } from './heartbeat.js';
import type { LoadedManifest } from '../manifest/load.js';
import { programProblemLines } from '../manifest/programs.js';
import { resolveServices, type ServiceConfig } from '../manifest/resolve.js';
import { countHeals } from '../metrics/counters.js';
import { renderMetrics } from '../metrics/render.js';
import { writeMetricsFile } from '../metrics/write.js';
import { interpolatedSecrets, redactor } from '../common/redact.js';
import { checkServices } from './check-services.js';
import { scanExitCode, scanReport, type ScanReport, type ServiceReport } from './report.js';
import { settleServices, type Settled } from './heal-services.js';
import { settleClockChange } from '../state/clock-change.js';
import { acquireLock } from '../state/lock.js';
import { deliveryJournal, healJournal } from '../state/journal.js';
import { recordService } from '../policy/record.js';
import { serviceStateOf, type ServiceState, type State } from '../state/schema.js';
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
  const partial = Boolean(options.dryRun || options.only?.length);
  // On a full or read-only disk the lock cannot be written: unless a live scan holds it, scan anyway.
  const lock = options.dryRun ? undefined : await acquireLock(stateDir, { logger: deps.logger, proceedUnwritable: true });
  const heartbeat = partial ? undefined : loaded.manifest.heartbeat;
  // Not awaited: the start ping must not delay the checks.
  const started = deps.now();
  const startPing = heartbeat && pingHeartbeat(heartbeat.url, 'start', undefined, { timeoutMs: heartbeat.timeout });
  try {
    // Times the state remembers from the future (the clock was set back) count from now: said once, saved so.
    const { state, clockChange } = settleClockChange(await loadState(stateDir, deps.logger), started);
    if (clockChange) deps.logger.warn({ aheadMs: clockChange.aheadMs }, clockChange.message);
    // A program or cwd a restart or check could not start with (manifest/programs.ts): warned every scan.
    const programs = await programProblemLines(loaded, deps.env, options.only);
    for (const line of programs) deps.logger.warn({ manifest: loaded.path }, line);
    const { reports, next, notices } = await scanWithState(options, state, started);
    let final = next;
    if (!options.dryRun) {
      // Written before any send: a scan killed from here on sends these on the next scan. A disk
      // that refuses it does not hold the sends back (the final save says so).
      await trySaveState(stateDir, next);
      const config = alertConfig(loaded.manifest);
      const deadline = started + loaded.manifest.scan_timeout - SAVE_MARGIN_MS;
      const settled = deliveryJournal(stateDir, next, deps);
      final = { ...next, alerts: await deliver(next.alerts, { deps, channels: config.channels, maxAgeMs: config.maxAgeMs, deadline, intervalMs: loaded.manifest.interval, settled, secrets: loaded.secrets }) };
    }
    const report: ScanReport = { ...scanReport(started, deps.now(), Boolean(options.dryRun), reports, notices, final), ...(clockChange || programs.length ? { warnings: [...(clockChange ? [clockChange.message] : []), ...programs] } : {}) };
    final = { ...final, lastScan: { startedAt: started, durationMs: report.durationMs, exitCode: scanExitCode(report) } };
    if (!options.dryRun) stateSaved(report, await trySaveState(stateDir, final), deps);
    // A partial scan would drop the series of the services it did not check.
    if (!partial) await writeMetrics(options, report, final);
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

async function scanWithState(
  options: ScanOptions,
  state: State,
  started: number,
): Promise<{ reports: ServiceReport[]; next: State; notices: RoutedNotice[] }> {
  const { deps, loaded } = options;
  const { manifest } = loaded;
  const deadline = started + manifest.scan_timeout - alertReserveMs(manifest.scan_timeout);
  const redact = redactor(interpolatedSecrets(loaded.secrets));
  const services = selectServices(resolveServices(manifest), options.only, Object.keys(manifest.services));

  const checks = await checkServices(services, state, started, { deps, deadline, concurrency: manifest.concurrency, baseDir: loaded.baseDir }, redact);
  const results = await settleServices(services, checks, {
    deps, state, redact, deadline,
    baseDir: loaded.baseDir,
    stateDir: options.stateDir,
    concurrency: manifest.concurrency,
    dryRun: Boolean(options.dryRun),
    beforeRestart: healJournal(options.stateDir, state, deps),
  });

  const now = deps.now();
  const serviceStates: State['services'] = Object.fromEntries(
    Object.keys(manifest.services).flatMap((name) => {
      const result = results.find((r) => r.service.name === name);
      // A breaker that opens in this scan waits from the scan's start (policy/record.ts).
      if (result) return [[name, recordService(serviceStateOf(state, name), result.record, result.service, now, started)]];
      const kept = serviceStateOf(state, name);
      return kept ? [[name, kept]] : [];
    }),
  );
  const config = alertConfig(manifest);
  const plan = planAlerts(state.alerts, {
    config,
    refreshChannels: Object.entries(config.channels).filter(([, spec]) => spec.type === 'alertmanager').map(([name]) => name),
    services: results.map((r) => alertInput(r, serviceStates[r.service.name], now)),
    // A disabled service is no longer watched: its open alerts are closed like a removed one's.
    known: Object.entries(manifest.services).filter(([, spec]) => spec.enabled).map(([name]) => name),
    now,
    host: hostname(),
  });
  for (const { notice, channels } of plan.routed) deps.logger.info({ notice: notice.id, kind: notice.kind, level: notice.level, channels }, `alert: ${notice.title}`);
  for (const r of results) logStopped(deps, r.service, serviceStateOf(state, r.service.name), serviceStates[r.service.name], now);
  const heals = results.flatMap((r) => (r.record.heal ? [{ service: r.service.name, result: r.record.heal.result }] : []));
  return {
    reports: results.map((r) => withHeldNotices(r.report, plan.held)),
    next: { ...state, services: serviceStates, alerts: enqueue(plan.next, plan.messages), metrics: countHeals(state.metrics, heals) },
    notices: plan.routed,
  };
}

/** Said once, when heal stops restarting a service for a while (breaker open, flapping, hourly cap), with when it tries again. */
function logStopped(deps: Deps, service: ServiceConfig, before: ServiceState | undefined, after: ServiceState | undefined, now: number): void {
  const stopped = restartsStopped(service, after, now);
  if (!stopped || restartsStopped(service, before, now)) return;
  deps.logger.warn({ service: service.name, until: new Date(stopped.untilMs).toISOString() }, `heal stopped restarting ${service.name} until ${new Date(stopped.untilMs).toISOString()}: ${stopped.why}`);
}

/** Healed notices the level's cooldown held back this scan, on the service's report. */
function withHeldNotices(report: ServiceReport, held: readonly HeldNotice[]): ServiceReport {
  const mine = held.filter((h) => h.service === report.name).map(({ kind, level, count, untilMs }) => ({ kind, level, count, until: new Date(untilMs).toISOString() }));
  return mine.length ? { ...report, alertsHeld: mine } : report;
}

/** What the alert manager needs of a settled service. */
function alertInput(settled: Settled, next: ServiceState | undefined, now: number): ServiceAlertInput {
  const { service, report } = settled;
  const flapping = next?.flapping;
  const stopped = report.status === 'down' || flapping ? restartsStopped(service, next, now) : undefined;
  const failing = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error}`);
  return {
    service: service.name,
    status: report.status,
    rule: report.rule,
    alertLevel: service.spec.alert_level,
    healedLevel: service.spec.healed_level,
    detail: failing.length ? failing.join('; ') : report.reason ?? 'all checks pass',
    ...(report.action || report.reason ? { action: [report.action, report.reason].filter(Boolean).join(': ') } : {}),
    ...(flapping ? { flapping } : {}),
    ...(stopped ? { stopped } : {}),
  };
}

function selectServices(services: ServiceConfig[], only: readonly string[] | undefined, all: string[]): ServiceConfig[] {
  if (!only?.length) return services;
  for (const name of only) {
    if (!all.includes(name)) throw new HealError('usage', `--only ${name}: no service of that name in the manifest`);
    if (!services.some((s) => s.name === name)) throw new HealError('usage', `--only ${name}: the service is disabled (enabled: false)`);
  }
  return services.filter((s) => only.includes(s.name));
}

async function writeMetrics(options: ScanOptions, report: ScanReport, state: State): Promise<void> {
  const file = options.loaded.manifest.metrics_file;
  if (!file) return;
  const path = resolve(options.loaded.baseDir, file);
  const text = renderMetrics({ report, state, now: options.deps.now(), alertLevels: alertConfig(options.loaded.manifest).levels });
  const written = await writeMetricsFile(path, text);
  if (!written.ok) options.deps.logger.warn({ file: path }, written.error);
}

/** Waits for the start ping, then sends the end ping; a failed ping is logged, never fatal. */
async function ping(deps: Deps, start: Promise<{ ok: boolean; error?: string }> | undefined, end: () => Promise<{ ok: boolean; error?: string }>): Promise<void> {
  for (const [phase, attempt] of [['start', () => start], ['end', end]] as const) {
    const result = await attempt();
    if (result && !result.ok) deps.logger.warn({ phase }, result.error ?? 'heartbeat ping failed');
  }
}
