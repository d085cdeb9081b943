/**
 * One pass: lock ─ load state ─ run checks (all at once) ─ decide ─ restart + verify ─ save
 * state ─ unlock. The manifest is loaded by the caller first, so a bad manifest never touches
 * the state directory. Decisions are pure (heal/policy.ts, state/record.ts); this file is the
 * choreography of the effects around them.
 */
import { checkName } from './checks/index.js';
import { runChecks, type CheckRequest } from './checks/run.js';
import type { CheckOutcome } from './checks/types.js';
import type { Deps } from './deps.js';
import { HealError } from './errors.js';
import { describeRestart, restart } from './heal/index.js';
import { decideHeal, type HealDecision } from './heal/policy.js';
import { verifyService } from './heal/verify.js';
import { healOrder } from './manifest/graph.js';
import type { LoadedManifest } from './manifest/load.js';
import { planCheck, resolveServices, type ServiceConfig } from './manifest/resolve.js';
import { acquireLock } from './state/lock.js';
import { recordService, type ServiceScanResult } from './state/record.js';
import type { CheckRecord, HealRecord, State } from './state/schema.js';
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
  checks: CheckReport[];
  /** What was done: "restarted (command: …)", "would restart (…)", "held back". */
  action?: string;
  /** Why, in a few words: the rule behind the decision, or the restart's error. */
  reason?: string;
};

export type ScanReport = {
  startedAt: string;
  durationMs: number;
  dryRun: boolean;
  services: ServiceReport[];
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
    const { report, next } = await scanWithState(options, state);
    if (!options.dryRun) await saveState(stateDir, next);
    return report;
  } finally {
    await lock?.release();
  }
}

async function scanWithState(options: ScanOptions, state: State): Promise<{ report: ScanReport; next: State }> {
  const { deps, loaded } = options;
  const { manifest } = loaded;
  const started = deps.now();
  const deadline = started + manifest.scan_timeout;
  const services = selectServices(resolveServices(manifest), options.only, Object.keys(manifest.services));

  const items: CheckRequest[] = services.flatMap((service) =>
    service.spec.checks.map((spec, index) => ({ key: `${service.name}#${index}`, plan: planCheck(service, spec) })),
  );
  const outcomes = await runChecks(items, { deps, deadline, concurrency: manifest.concurrency, baseDir: loaded.baseDir });

  const byName = new Map(services.map((s) => [s.name, s]));
  const graph = new Map(services.map((s) => [s.name, s.spec.depends_on.filter((p) => byName.has(p))] as const));
  const settled = new Map<string, Promise<Settled>>();
  for (const name of healOrder(graph)) {
    const service = byName.get(name) as ServiceConfig;
    const checks = service.spec.checks.map((spec, index) =>
      toCheckReport(spec.type, checkName(spec), outcomes.get(`${name}#${index}`)),
    );
    const parents = (graph.get(name) ?? []).map((parent) => settled.get(parent) as Promise<Settled>);
    settled.set(name, Promise.all(parents).then(() => settleService(service, checks, state, options, deadline)));
  }

  const results = await Promise.all(services.map((s) => settled.get(s.name) as Promise<Settled>));
  const now = deps.now();
  const next: State = {
    ...state,
    services: Object.fromEntries(
      Object.keys(manifest.services).flatMap((name) => {
        const result = results.find((r) => r.report.name === name);
        if (result) return [[name, recordService(state.services[name], result.record, now)]];
        const kept = state.services[name];
        return kept ? [[name, kept]] : [];
      }),
    ),
  };
  const report: ScanReport = {
    startedAt: new Date(started).toISOString(),
    durationMs: now - started,
    dryRun: Boolean(options.dryRun),
    services: results.map((r) => r.report),
  };
  next.lastScan = { startedAt: started, durationMs: report.durationMs, exitCode: scanExitCode(report) };
  return { report, next };
}

type Settled = { report: ServiceReport; record: ServiceScanResult };

async function settleService(
  service: ServiceConfig,
  checks: CheckReport[],
  state: State,
  options: ScanOptions,
  deadline: number,
): Promise<Settled> {
  const { deps } = options;
  const healthy = checks.every((c) => c.ok);
  const decision = decideHeal(service, state.services[service.name], healthy, deps.now());
  const down = (extra: Partial<ServiceReport> = {}): Settled => ({
    report: { name: service.name, status: 'down', checks, ...extra },
    record: { healthy: false, checks: stripType(checks) },
  });

  switch (decision.action) {
    case 'none':
      if (decision.rule === 'healthy') {
        return { report: { name: service.name, status: 'up', checks }, record: { healthy: true, checks: stripType(checks) } };
      }
      return down({ reason: decision.reason });
    case 'hold':
      return down({ action: 'held back', reason: decision.reason });
    case 'restart':
      return options.dryRun ? down({ action: `would restart (${describeRestart(service.spec.restart!)})`, reason: decision.reason }) : heal(service, checks, options, deadline, decision);
  }
}

async function heal(
  service: ServiceConfig,
  checks: CheckReport[],
  options: ScanOptions,
  deadline: number,
  decision: Extract<HealDecision, { action: 'restart' }>,
): Promise<Settled> {
  const { deps, loaded, stateDir } = options;
  const spec = service.spec.restart!;
  const action = `restarted (${describeRestart(spec)})`;
  const at = deps.now();
  const signal = AbortSignal.timeout(Math.max(1, deadline - at));
  const outcome = await restart(spec, {
    deps,
    service: service.name,
    baseDir: loaded.baseDir,
    stateDir,
    timeoutMs: Math.max(1, deadline - at),
    signal,
  });
  deps.logger.info({ service: service.name, restart: describeRestart(spec), ok: outcome.ok, error: outcome.ok ? undefined : outcome.error, rule: decision.rule }, 'restart');
  if (!outcome.ok) {
    const record: HealRecord = { at, result: 'failed', error: outcome.error };
    return {
      report: { name: service.name, status: 'down', checks, action, reason: `restart failed: ${outcome.error}` },
      record: { healthy: false, checks: stripType(checks), heal: record },
    };
  }
  const verified = await verifyService(service, { deps, baseDir: loaded.baseDir, concurrency: loaded.manifest.concurrency, deadline: Math.min(deadline, deps.now() + service.verifyTimeoutMs) });
  const after = service.spec.checks.map((spec, index) => toCheckReport(spec.type, checkName(spec), verified.outcomes[index]));
  const healed = after.every((c) => c.ok);
  const failedCheck = after.find((c) => !c.ok);
  return {
    report: {
      name: service.name,
      status: healed ? 'healed' : 'down',
      checks: after,
      action,
      reason: healed ? undefined : `still failing after restart: ${failedCheck?.name}: ${failedCheck?.error}`,
    },
    record: {
      healthy: healed,
      checks: stripType(after),
      heal: { at, result: healed ? 'healed' : 'failed', ...(healed ? {} : { error: failedCheck?.error }) },
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

function toCheckReport(type: string, name: string, outcome: CheckOutcome | undefined): CheckReport {
  if (!outcome) return { type, name, ok: false, latencyMs: 0, error: 'not run: the scan deadline passed' };
  return outcome.ok
    ? { type, name, ok: true, latencyMs: outcome.latencyMs }
    : { type, name, ok: false, latencyMs: outcome.latencyMs, error: outcome.error };
}

function stripType(checks: CheckReport[]): CheckRecord[] {
  return checks.map(({ type: _type, ...record }) => record);
}
