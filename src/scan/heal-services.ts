/**
 * What happens to each service after its checks: the policy decides (policy/heal.ts), and a
 * restart is made and verified. What the state keeps of it is derived later, purely, from the
 * report and the heal (next-state.ts). Parents go before their children, so a child sees whether
 * the service it depends on is up after its own heal; independent services go at once.
 */
import type { Deps } from '../deps.js';
import { describeRestart, restart } from '../restart/index.js';
import { servicePid } from '../restart/service-pid.js';
import { decideHeal } from '../policy/heal.js';
import type { HealDecision } from '../policy/rules.js';
import { describeExit, failedExit, verifyService } from './verify.js';
import { healOrder } from '../manifest/graph.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { Redact } from '../common/redact.js';
import { serviceStateOf, type State } from '../state/schema.js';
import { checkReport } from './check-services.js';
import type { ServiceOutcome } from './next-state.js';
import type { CheckReport, ServiceReport, ServiceStatus } from './report.js';

export type HealContext = {
  deps: Deps;
  state: State;
  baseDir: string;
  stateDir: string;
  concurrency: number;
  /** Restarts and verification end by then. */
  deadline: number;
  dryRun: boolean;
  redact: Redact;
  /** Writes the heal down before its restart runs (see policy/record.ts withHealIntent). */
  beforeRestart?: (service: string, at: number) => Promise<void>;
};

/** Decides on every service and heals what the policy lets, parents first; resolves in the order of `services`. */
export async function healServices(
  services: readonly ServiceConfig[],
  checks: ReadonlyMap<string, CheckReport[]>,
  ctx: HealContext,
): Promise<ServiceOutcome[]> {
  const byName = new Map(services.map((s) => [s.name, s]));
  const graph = new Map(services.map((s) => [s.name, s.spec.depends_on.filter((p) => byName.has(p))] as const));
  const judged = new Map<string, Promise<ServiceOutcome>>();
  for (const name of healOrder(graph)) {
    const parents = (graph.get(name) ?? []).map((parent) => judged.get(parent) as Promise<ServiceOutcome>);
    judged.set(
      name,
      Promise.all(parents).then((done) => {
        const parentsDown = done.filter((p) => p.report.status === 'down' || p.report.status === 'skipped').map((p) => p.service.name);
        return healService(byName.get(name) as ServiceConfig, checks.get(name) ?? [], parentsDown, ctx);
      }),
    );
  }
  return Promise.all(services.map((s) => judged.get(s.name) as Promise<ServiceOutcome>));
}

async function healService(service: ServiceConfig, checks: CheckReport[], parentsDown: string[], ctx: HealContext): Promise<ServiceOutcome> {
  const healthy = checks.every((c) => c.ok);
  const decision = decideHeal({ service, previous: serviceStateOf(ctx.state, service.name), healthy, parentsDown, now: ctx.deps.now() });
  const result = (status: ServiceStatus, extra: Pick<ServiceReport, 'action' | 'reason'> = {}): ServiceOutcome => ({
    service,
    report: { name: service.name, status, rule: decision.rule, checks, ...extra },
  });

  switch (decision.action) {
    case 'none':
      return decision.rule === 'healthy' ? result('up') : result('down', { reason: decision.reason });
    case 'skip':
      return result('skipped', { reason: decision.reason });
    case 'hold':
      return result('down', { action: 'held back', reason: decision.reason });
    case 'restart':
      if (ctx.dryRun) return result('down', { action: ctx.redact(`would restart (${describeRestart(service.spec.restart!)})`), reason: decision.reason });
      return restartAndVerify(service, checks, decision, ctx);
  }
}

async function restartAndVerify(service: ServiceConfig, checks: CheckReport[], decision: Extract<HealDecision, { action: 'restart' }>, ctx: HealContext): Promise<ServiceOutcome> {
  const { deps, redact } = ctx;
  const spec = service.spec.restart!;
  let action = redact(`restarted (${describeRestart(spec)})`);
  const at = deps.now();
  await ctx.beforeRestart?.(service.name, at);
  const budget = Math.max(1, ctx.deadline - at);
  const recorded = serviceStateOf(ctx.state, service.name)?.process;
  const outcome = await restart(spec, { deps, service: service.name, baseDir: ctx.baseDir, stateDir: ctx.stateDir, timeoutMs: budget, signal: AbortSignal.timeout(budget), ...(recorded ? { recorded } : {}) });
  deps.logger.info(
    { service: service.name, restart: describeRestart(spec), rule: decision.rule, ok: outcome.ok, ...(outcome.ok ? {} : { error: outcome.error }), facts: outcome.facts },
    'restart',
  );
  const facts = outcome.facts ? { facts: outcome.facts } : {};
  // What the restarter did besides the restart (systemd: reset-failed after the unit's start limit).
  if (outcome.ok && outcome.note) action = redact(`${action}, ${outcome.note}`);
  if (!outcome.ok) {
    const error = redact(outcome.error);
    return {
      service,
      report: { name: service.name, status: 'down', rule: decision.rule, checks, action, reason: `restart failed: ${error}` },
      heal: { at, result: 'failed', error, ...facts },
    };
  }

  const verified = await verifyService(service, {
    deps,
    baseDir: ctx.baseDir,
    concurrency: ctx.concurrency,
    deadline: Math.min(ctx.deadline, deps.now() + service.verifyTimeoutMs),
    scanDeadline: ctx.deadline,
    ...(outcome.exited ? { exited: outcome.exited } : {}),
    pid: servicePid(spec, { deps, baseDir: ctx.baseDir, recorded: outcome.started ?? recorded }),
  });
  const after = service.spec.checks.map((_, index) => checkReport(service, index, verified.outcomes[index], redact));
  const failing = after.find((c) => !c.ok);
  // A detached service that died: how, and the last lines of its log, are the reason.
  const exit = failing && verified.exited;
  const died = exit && failedExit(exit);
  const checkError = failing && `${failing.name}: ${failing.error}`;
  const error = exit ? (died ? redact(describeExit(exit)) : `${checkError}; ${redact(describeExit(exit))}`) : checkError;
  return {
    service,
    report: {
      name: service.name,
      status: failing ? 'down' : 'healed',
      rule: decision.rule,
      checks: after,
      action,
      ...(failing ? { reason: died ? error : `still failing after restart: ${error}` } : {}),
    },
    heal: { at, result: failing ? 'failed' : 'healed', ...(failing ? { error } : {}), ...facts },
    ...(outcome.started ? { started: outcome.started } : {}),
  };
}
