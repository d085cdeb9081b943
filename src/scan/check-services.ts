/**
 * The checks of one scan: every check of every service at once. A service whose breaker is
 * open gets one cheap probe instead; a probe that passes is only a hint, confirmed by the rest
 * of the service's checks before the service counts as up.
 */
import { breakerAt } from '../policy/breaker.js';
import { cheapestCheckIndex, checkName } from '../checks/index.js';
import { runChecks, type CheckRequest, type RunChecksOptions } from '../checks/run.js';
import type { CheckOutcome, PidLookup } from '../checks/types.js';
import { planCheck, type ServiceConfig } from '../manifest/resolve.js';
import { pidRequest, servicePid } from '../restart/service-pid.js';
import type { Redact } from '../common/redact.js';
import { serviceStateOf } from '../state/model.js';
import type { State } from '../state/schema.js';
import type { CheckReport } from './report.js';

export async function checkServices(
  services: readonly ServiceConfig[],
  state: State,
  now: number,
  options: RunChecksOptions,
  redact: Redact,
): Promise<Map<string, CheckReport[]>> {
  const checked = new Map(services.map((service) => [service.name, checksToRun(service, state, now)] as const));
  // The pid each service's process checks read: how its restart knows it (restart/service-pid.ts).
  const pids = new Map(services.map((s) => [s.name, servicePid(s.spec.restart, { deps: options.deps, baseDir: options.baseDir, recorded: serviceStateOf(state, s.name)?.process })] as const));
  const outcomes = await runChecks(services.flatMap((s) => requestsFor(s, checked.get(s.name) ?? [], pids.get(s.name))), options);

  const toConfirm = services.filter((s) => {
    const ran = checked.get(s.name) ?? [];
    return ran.length < s.spec.checks.length && ran.every((index) => outcomes.get(keyOf(s, index))?.ok);
  });
  if (toConfirm.length) {
    const rest = toConfirm.flatMap((s) => requestsFor(s, allChecks(s).filter((i) => !checked.get(s.name)?.includes(i)), pids.get(s.name)));
    for (const [key, outcome] of await runChecks(rest, options)) outcomes.set(key, outcome);
    for (const s of toConfirm) checked.set(s.name, allChecks(s));
  }

  return new Map(
    services.map((s) => [s.name, (checked.get(s.name) ?? []).map((index) => checkReport(s, index, outcomes.get(keyOf(s, index)), redact))] as const),
  );
}

/** A check's report: its type and name, and what it saw (a check cut by the deadline failed). */
export function checkReport(service: ServiceConfig, index: number, outcome: CheckOutcome | undefined, redact: Redact): CheckReport {
  const spec = service.spec.checks[index]!;
  const base = { type: spec.type, name: redact(checkName(spec)), ...(spec.on_fail === 'alert' ? { alertOnly: true as const } : {}) };
  if (!outcome) return { ...base, ok: false, latencyMs: 0, error: 'not run: the scan deadline passed' };
  return outcome.ok
    ? { ...base, ok: true, latencyMs: outcome.latencyMs, ...(outcome.detail ? { detail: redact(outcome.detail) } : {}) }
    : { ...base, ok: false, latencyMs: outcome.latencyMs, error: redact(outcome.error) };
}

/** Indexes of the checks to run this scan: all of them, or the cheapest while the breaker is open. */
function checksToRun(service: ServiceConfig, state: State, now: number): number[] {
  const previous = serviceStateOf(state, service.name);
  const open = previous && breakerAt(previous.breaker, now).state === 'open';
  return open ? [cheapestCheckIndex(service.spec.checks)] : allChecks(service);
}

const allChecks = (service: ServiceConfig): number[] => service.spec.checks.map((_, index) => index);
const keyOf = (service: ServiceConfig, index: number): string => `${service.name}#${index}`;

function requestsFor(service: ServiceConfig, indexes: readonly number[], pid: PidLookup | undefined): CheckRequest[] {
  return indexes.map((index) => ({ key: keyOf(service, index), plan: planCheck(service, service.spec.checks[index]!), ...pidRequest(service.name, service.spec.checks[index]!, pid) }));
}
