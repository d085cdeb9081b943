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
import { maintenanceNow, type NamedWindow, type ServiceMaintenance } from '../policy/maintenance.js';
import type { HealDecision } from '../policy/rules.js';
import { describeExit, failedExit, verifyService } from './verify.js';
import { healOrder } from '../manifest/graph.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { Redact } from '../common/redact.js';
import type { HealJournal } from '../state/journal.js';
import { serviceStateOf } from '../state/model.js';
import type { State } from '../state/schema.js';
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
  /** The manifest's maintenance windows: one that holds a service now holds its restarts. */
  windows: readonly NamedWindow[];
  /** Writes the heal down before its restart runs (see policy/record.ts withHealIntent). */
  beforeRestart?: HealJournal['beforeRestart'];
  /** Writes down the process a detached restart started, as soon as it runs. */
  afterStart?: HealJournal['afterStart'];
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
        // A parent a restart brought back: its restart_with_parent children are restarted after it.
        const parentsRestarted = done.filter((p) => p.heal?.result === 'healed').map((p) => p.service.name);
        return healService(byName.get(name) as ServiceConfig, checks.get(name) ?? [], { parentsDown, parentsRestarted }, ctx);
      }),
    );
  }
  return Promise.all(services.map((s) => judged.get(s.name) as Promise<ServiceOutcome>));
}

type Parents = { parentsDown: string[]; parentsRestarted: string[] };

/** Asks the maintenance windows once, at the moment heal decides: the outcome carries the answer on to the alerts. */
async function healService(service: ServiceConfig, checks: CheckReport[], parents: Parents, ctx: HealContext): Promise<ServiceOutcome> {
  const now = ctx.deps.now();
  const window = maintenanceNow(ctx.windows, service.name, now);
  const outcome = await decideAndAct(service, checks, parents, window, now, ctx);
  return window ? { ...outcome, maintenance: window.name } : outcome;
}

async function decideAndAct(service: ServiceConfig, checks: CheckReport[], parents: Parents, window: ServiceMaintenance['current'], now: number, ctx: HealContext): Promise<ServiceOutcome> {
  const healthy = !checks.some(restartsOnFailure);
  const degraded = healthy && checks.some((c) => !c.ok);
  const maintenance = window && { name: window.name, untilMs: window.end, restart: window.restart };
  const decision = decideHeal({ service, previous: serviceStateOf(ctx.state, service.name), healthy, degraded, ...parents, maintenance, now });
  const result = (status: ServiceStatus, extra: Pick<ServiceReport, 'action' | 'reason'> = {}): ServiceOutcome => ({
    service,
    report: { name: service.name, status, rule: decision.rule, checks, ...extra },
  });
  // Its checks answer: restarted with its parent (or not), it stays up or degraded.
  const answering: ServiceStatus = degraded ? 'degraded' : 'up';

  switch (decision.action) {
    case 'none':
      if (decision.rule === 'healthy' || decision.rule === 'degraded') {
        const reason = [decision.rule === 'degraded' ? decision.reason : undefined, decision.note].filter(Boolean).join('; ');
        return result(answering, reason ? { reason } : {});
      }
      return result('down', { reason: decision.reason });
    case 'skip':
      return result('skipped', { reason: decision.reason });
    case 'hold':
      return result('down', { action: 'held back', reason: decision.reason });
    case 'restart':
      if (ctx.dryRun) {
        const status = decision.rule === 'parent-restarted' ? answering : 'down';
        return result(status, { action: ctx.redact(`would restart (${describeRestart(service.spec.restart!)})`), reason: decision.reason });
      }
      return restartAndVerify(service, checks, decision, ctx);
  }
}

/**
 * A restart that worked: the service was down and is back (`healed`). One restarted with its
 * parent was never down: it is `up` (or `degraded`) as its checks say, and no healed notice goes.
 */
function statusAfterRestart(decision: Extract<HealDecision, { action: 'restart' }>, after: readonly CheckReport[]): ServiceStatus {
  if (decision.rule !== 'parent-restarted') return 'healed';
  return after.some((c) => !c.ok) ? 'degraded' : 'up';
}

/** A failed check whose failure counts the service down (`on_fail: restart`), not only degraded. */
function restartsOnFailure(check: CheckReport): boolean {
  return !check.ok && !check.alertOnly;
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
  if (outcome.ok && outcome.started) await ctx.afterStart?.(service.name, outcome.started, at);
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
      // One statement: "restart failed (command: …): exit 1", not "restarted (…): restart failed: …".
      report: { name: service.name, status: 'down', rule: decision.rule, checks, action: redact(`restart failed (${describeRestart(spec)})`), reason: error },
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
  const failing = after.find(restartsOnFailure);
  // A detached service that died: how, and the last lines of its log, are the reason.
  const exit = failing && verified.exited;
  const died = exit && failedExit(exit);
  const checkError = failing && `${failing.name}: ${failing.error}`;
  const error = exit ? (died ? redact(describeExit(exit)) : `${checkError}; ${redact(describeExit(exit))}`) : checkError;
  return {
    service,
    report: {
      name: service.name,
      status: failing ? 'down' : statusAfterRestart(decision, after),
      rule: decision.rule,
      checks: after,
      action,
      ...(failing ? { reason: died ? error : `still failing after restart: ${error}` } : decision.rule === 'parent-restarted' ? { reason: decision.reason } : {}),
    },
    heal: { at, result: failing ? 'failed' : 'healed', ...(failing ? { error } : {}), ...facts },
    ...(outcome.started ? { started: outcome.started } : {}),
  };
}
