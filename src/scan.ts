/**
 * One pass: lock ─ load state ─ run checks (all at once) ─ decide ─ restart + verify (parents
 * first) ─ save state ─ unlock. The manifest is loaded by the caller first, so a bad manifest
 * never touches the state directory. Decisions are pure (heal/policy.ts, state/record.ts);
 * this file is the choreography of the effects around them.
 */
import { hostname } from 'node:os';
import { deliver } from './alerts/deliver.js';
import { alertConfig } from './alerts/levels.js';
import { planAlerts, type RoutedNotice, type ServiceAlertInput } from './alerts/manager.js';
import { enqueue } from './alerts/outbox.js';
import type { Notice } from './alerts/types.js';
import { breakerAt } from './breaker.js';
import { cheapestCheckIndex } from './checks/cost.js';
import { checkName } from './checks/index.js';
import { runChecks, type CheckRequest } from './checks/run.js';
import type { CheckOutcome } from './checks/types.js';
import type { Deps } from './deps.js';
import { HealError } from './errors.js';
import { describeRestart, restart } from './heal/index.js';
import { decideHeal, type DecisionRule, type HealDecision } from './heal/policy.js';
import { verifyService } from './heal/verify.js';
import { healOrder } from './manifest/graph.js';
import type { LoadedManifest } from './manifest/load.js';
import { planCheck, resolveServices, type ServiceConfig } from './manifest/resolve.js';
import { interpolatedSecrets, redactor, type Redact } from './redact.js';
import { acquireLock } from './state/lock.js';
import { recordService, type ServiceScanResult } from './state/record.js';
import type { CheckRecord, State } from './state/schema.js';
import { loadState, saveState } from './state/store.js';

export type ScanOptions = {
  loaded: LoadedManifest;
  stateDir: string;
  deps: Deps;
  /** Decide and report, restart nothing, write no state. */
  dryRun?: boolean;
  /** Scan only these services. */
  only?: readonly string[];
};

export type CheckReport = CheckRecord & { type: string };
export type ServiceStatus = 'up' | 'down' | 'healed' | 'skipped';

export type ServiceReport = {
  name: string;
  status: ServiceStatus;
  /** The policy rule that decided what was done (see heal/policy.ts). */
  rule: DecisionRule;
  checks: CheckReport[];
  /** What was done: "restarted (command: …)", "would restart (…)", "held back". */
  action?: string;
  /** Why, in a few words: the rule's reason, or the restart's error. */
  reason?: string;
  /** Notices this scan made about the service (sent, or queued in the outbox). */
  alerts?: AlertReport[];
};

export type AlertReport = { id: string; kind: Notice['kind']; level: Notice['level']; channels: string[] };

export type ScanReport = {
  startedAt: string;
  durationMs: number;
  dryRun: boolean;
  services: ServiceReport[];
  /** Messages still waiting in the outbox after this scan's sends, by channel. */
  outbox: Record<string, number>;
};

/** Scan exit code: 0 when every scanned service ended up or healed, 1 otherwise. */
export function scanExitCode(report: ScanReport): 0 | 1 {
  return report.services.every((s) => s.status === 'up' || s.status === 'healed') ? 0 : 1;
}

export async function scan(options: ScanOptions): Promise<ScanReport> {
  const { deps, stateDir } = options;
  const lock = options.dryRun ? undefined : await acquireLock(stateDir, { logger: deps.logger });
  try {
    const state = await loadState(stateDir, deps.logger);
    const started = deps.now();
    const { reports, next, notices } = await scanWithState(options, state, started);
    let final = next;
    if (!options.dryRun) {
      // Written before any send: a scan killed from here on sends these on the next scan.
      await saveState(stateDir, next);
      const config = alertConfig(options.loaded.manifest);
      final = { ...next, alerts: await deliver(next.alerts, { deps, channels: config.channels, maxAgeMs: config.maxAgeMs, deadline: started + options.loaded.manifest.scan_timeout - SAVE_MARGIN_MS }) };
    }
    const report = scanReport(started, deps.now(), options, reports, notices, final);
    final = { ...final, lastScan: { startedAt: started, durationMs: report.durationMs, exitCode: scanExitCode(report) } };
    if (!options.dryRun) await saveState(stateDir, final);
    return report;
  } finally {
    await lock?.release();
  }
}

/** Kept free at the end of the scan's deadline to save the state. */
const SAVE_MARGIN_MS = 1_500;

/** Kept free for sending alerts: checks and restarts end this long before the deadline. */
export function alertReserveMs(scanTimeoutMs: number): number {
  return Math.min(15_000, Math.round(scanTimeoutMs / 4));
}

function scanReport(started: number, now: number, options: ScanOptions, reports: ServiceReport[], notices: readonly RoutedNotice[], state: State): ScanReport {
  const outbox: Record<string, number> = {};
  for (const entry of state.alerts.outbox) outbox[entry.message.channel] = (outbox[entry.message.channel] ?? 0) + 1;
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: now - started,
    dryRun: Boolean(options.dryRun),
    services: reports.map((report) => {
      const alerts = notices.filter((n) => n.notice.service === report.name).map(({ notice, channels }) => ({ id: notice.id, kind: notice.kind, level: notice.level, channels }));
      return alerts.length ? { ...report, alerts } : report;
    }),
    outbox,
  };
}


type Settled = { service: ServiceConfig; report: ServiceReport; record: ServiceScanResult };

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

  // A service whose breaker is open gets one cheap probe instead of all its checks; a probe
  // that passes is only a hint, confirmed by the rest of the checks before the service counts as up.
  const checked = new Map(services.map((service) => [service.name, checksToRun(service, state, started)] as const));
  const requestsFor = (service: ServiceConfig, indexes: readonly number[]): CheckRequest[] =>
    indexes.map((index) => ({ key: `${service.name}#${index}`, plan: planCheck(service, service.spec.checks[index]!) }));
  const runOptions = { deps, deadline, concurrency: manifest.concurrency, baseDir: loaded.baseDir };
  const outcomes = await runChecks(services.flatMap((s) => requestsFor(s, checked.get(s.name) ?? [])), runOptions);
  const toConfirm = services.filter((s) => {
    const ran = checked.get(s.name) ?? [];
    return ran.length < s.spec.checks.length && ran.every((index) => outcomes.get(`${s.name}#${index}`)?.ok);
  });
  if (toConfirm.length) {
    const rest = toConfirm.flatMap((s) => requestsFor(s, s.spec.checks.map((_, i) => i).filter((i) => !checked.get(s.name)?.includes(i))));
    for (const [key, outcome] of await runChecks(rest, runOptions)) outcomes.set(key, outcome);
    for (const s of toConfirm) checked.set(s.name, s.spec.checks.map((_, i) => i));
  }

  const byName = new Map(services.map((s) => [s.name, s]));
  const graph = new Map(services.map((s) => [s.name, s.spec.depends_on.filter((p) => byName.has(p))] as const));
  const settled = new Map<string, Promise<Settled>>();
  for (const name of healOrder(graph)) {
    const service = byName.get(name) as ServiceConfig;
    const checks = (checked.get(name) ?? []).map((index) => checkReport(service, index, outcomes.get(`${name}#${index}`), redact));
    const parents = (graph.get(name) ?? []).map((parent) => settled.get(parent) as Promise<Settled>);
    settled.set(
      name,
      Promise.all(parents).then((done) => {
        const parentsDown = done.filter((p) => p.report.status === 'down' || p.report.status === 'skipped').map((p) => p.service.name);
        return settleService(service, checks, parentsDown, state, options, deadline, redact);
      }),
    );
  }
  const results = await Promise.all(services.map((s) => settled.get(s.name) as Promise<Settled>));

  const now = deps.now();
  const serviceStates: State['services'] = Object.fromEntries(
    Object.keys(manifest.services).flatMap((name) => {
      const result = results.find((r) => r.service.name === name);
      if (result) return [[name, recordService(state.services[name], result.record, result.service, now)]];
      const kept = state.services[name];
      return kept ? [[name, kept]] : [];
    }),
  );
  const plan = planAlerts(state.alerts, {
    config: alertConfig(manifest),
    services: results.map((r) => alertInput(r, serviceStates[r.service.name]?.flapping)),
    known: Object.keys(manifest.services),
    now,
    host: hostname(),
  });
  for (const { notice, channels } of plan.routed) deps.logger.info({ notice: notice.id, kind: notice.kind, level: notice.level, channels }, `alert: ${notice.title}`);
  return {
    reports: results.map((r) => r.report),
    next: { ...state, services: serviceStates, alerts: enqueue(plan.next, plan.messages) },
    notices: plan.routed,
  };
}

function alertInput(settled: Settled, flapping: ServiceAlertInput['flapping']): ServiceAlertInput {
  const { service, report } = settled;
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
  };
}

/** Indexes of the checks to run this scan: all of them, or the cheapest while the breaker is open. */
function checksToRun(service: ServiceConfig, state: State, now: number): number[] {
  const previous = state.services[service.name];
  const open = previous && breakerAt(previous.breaker, now).state === 'open';
  return open ? [cheapestCheckIndex(service.spec.checks)] : service.spec.checks.map((_, index) => index);
}

async function settleService(
  service: ServiceConfig,
  checks: CheckReport[],
  parentsDown: string[],
  state: State,
  options: ScanOptions,
  deadline: number,
  redact: Redact,
): Promise<Settled> {
  const healthy = checks.every((c) => c.ok);
  const decision = decideHeal({ service, previous: state.services[service.name], healthy, parentsDown, now: options.deps.now() });
  const result = (status: ServiceStatus, extra: Pick<ServiceReport, 'action' | 'reason'> = {}): Settled => ({
    service,
    report: { name: service.name, status, rule: decision.rule, checks, ...extra },
    record: { healthy: status === 'up', checks: checkRecords(checks), rule: decision.rule },
  });

  switch (decision.action) {
    case 'none':
      return decision.rule === 'healthy' ? result('up') : result('down', { reason: decision.reason });
    case 'skip':
      return result('skipped', { reason: decision.reason });
    case 'hold':
      return result('down', { action: 'held back', reason: decision.reason });
    case 'restart':
      if (options.dryRun) return result('down', { action: redact(`would restart (${describeRestart(service.spec.restart!)})`), reason: decision.reason });
      return heal(service, checks, decision, options, deadline, redact);
  }
}

async function heal(
  service: ServiceConfig,
  checks: CheckReport[],
  decision: Extract<HealDecision, { action: 'restart' }>,
  options: ScanOptions,
  deadline: number,
  redact: Redact,
): Promise<Settled> {
  const { deps, loaded, stateDir } = options;
  const spec = service.spec.restart!;
  const action = redact(`restarted (${describeRestart(spec)})`);
  const at = deps.now();
  const budget = Math.max(1, deadline - at);
  const outcome = await restart(spec, { deps, service: service.name, baseDir: loaded.baseDir, stateDir, timeoutMs: budget, signal: AbortSignal.timeout(budget) });
  deps.logger.info(
    { service: service.name, restart: describeRestart(spec), rule: decision.rule, ok: outcome.ok, ...(outcome.ok ? {} : { error: outcome.error }), facts: outcome.facts },
    'restart',
  );
  const facts = outcome.facts ? { facts: outcome.facts } : {};
  if (!outcome.ok) {
    const error = redact(outcome.error);
    return {
      service,
      report: { name: service.name, status: 'down', rule: decision.rule, checks, action, reason: `restart failed: ${error}` },
      record: { healthy: false, checks: checkRecords(checks), rule: decision.rule, heal: { at, result: 'failed', error, ...facts } },
    };
  }

  const verified = await verifyService(service, {
    deps,
    baseDir: loaded.baseDir,
    concurrency: loaded.manifest.concurrency,
    deadline: Math.min(deadline, deps.now() + service.verifyTimeoutMs),
  });
  const after = service.spec.checks.map((_, index) => checkReport(service, index, verified.outcomes[index], redact));
  const failing = after.find((c) => !c.ok);
  return {
    service,
    report: {
      name: service.name,
      status: failing ? 'down' : 'healed',
      rule: decision.rule,
      checks: after,
      action,
      ...(failing ? { reason: `still failing after restart: ${failing.name}: ${failing.error}` } : {}),
    },
    record: {
      healthy: !failing,
      checks: checkRecords(after),
      rule: decision.rule,
      heal: { at, result: failing ? 'failed' : 'healed', ...(failing ? { error: `${failing.name}: ${failing.error}` } : {}), ...facts },
    },
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

function checkReport(service: ServiceConfig, index: number, outcome: CheckOutcome | undefined, redact: Redact): CheckReport {
  const spec = service.spec.checks[index]!;
  const base = { type: spec.type, name: redact(checkName(spec)) };
  if (!outcome) return { ...base, ok: false, latencyMs: 0, error: 'not run: the scan deadline passed' };
  return outcome.ok ? { ...base, ok: true, latencyMs: outcome.latencyMs } : { ...base, ok: false, latencyMs: outcome.latencyMs, error: redact(outcome.error) };
}

function checkRecords(checks: CheckReport[]): CheckRecord[] {
  return checks.map(({ type: _type, ...record }) => record);
}
