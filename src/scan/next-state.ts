/**
 * The state a scan leaves behind, pure: a function of the manifest, the state the scan began
 * with, what each service's checks saw and what was done about it, and one `now`. Every service
 * record moves (policy/record.ts), the alert manager plans its notices (alerts/manager.ts), the
 * outbox takes the messages, the counters count the heals — and nothing here touches a socket,
 * a file or the clock, so a scan's bookkeeping is tested by calling it.
 */
import type { AlertConfig } from '../alerts/levels.js';
import { planAlerts, type HeldNotice, type RoutedNotice, type ServiceAlertInput } from '../alerts/manager.js';
import { enqueue } from '../alerts/outbox.js';
import type { ServiceConfig } from '../manifest/resolve.js';
import type { Manifest } from '../manifest/schema.js';
import type { ProcessIdentity } from '../process/identity.js';
import { countHeals } from '../metrics/counters.js';
import { restartsStopped } from '../policy/heal.js';
import { recordService, type ServiceScanResult } from '../policy/record.js';
import type { RestartsStopped } from '../policy/rules.js';
import { serviceStateOf } from '../state/model.js';
import type { HealRecord, ServiceState, State } from '../state/schema.js';
import { checkRecords, type ServiceReport } from './report.js';

/**
 * One service at the end of its checks and heal: what to report, the restart made, if any, and
 * the process it started detached.
 */
export type ServiceOutcome = {
  service: ServiceConfig;
  report: ServiceReport;
  heal?: HealRecord;
  started?: ProcessIdentity;
  /** The maintenance window that held the service when heal decided: no notice goes for it (a resolved one still does). */
  maintenance?: string;
};

export type NextStateInput = {
  manifest: Manifest;
  /** The alert levels and channels in force (alerts/levels.ts). */
  alerts: AlertConfig;
  /** Channels whose type needs a firing alert sent again every scan (`Channel.resendsFiring`). */
  resendChannels: readonly string[];
  /** The state the scan began with. */
  state: State;
  /** The services this scan judged, in manifest order. */
  outcomes: readonly ServiceOutcome[];
  /** When the scan started: a breaker that opens in this scan waits from here. */
  started: number;
  /** The scan's one `now` for everything decided here. */
  now: number;
  /** The machine's name, on every notice. */
  host: string;
};

export type NextState = {
  /** The state to save: services, alerts with the outbox filled, counters. */
  state: State;
  /** Each judged service's report, with the healed notices its level's cooldown held back. */
  reports: ServiceReport[];
  /** The notices this scan made and the channels they go to. */
  routed: RoutedNotice[];
  /** Services heal stopped restarting in this scan (breaker open, flapping, hourly cap): said once, when it starts. */
  stopped: (RestartsStopped & { service: string })[];
};

export function nextState(input: NextStateInput): NextState {
  const { manifest, state, outcomes, now, started } = input;
  const services: State['services'] = Object.fromEntries(
    Object.keys(manifest.services).flatMap((name) => {
      const outcome = outcomes.find((o) => o.service.name === name);
      if (outcome) return [[name, recordService(serviceStateOf(state, name), scanResultOf(outcome), outcome.service, now, started)]];
      const kept = serviceStateOf(state, name);
      return kept ? [[name, kept]] : [];
    }),
  );
  const plan = planAlerts(state.alerts, {
    config: input.alerts,
    resendChannels: input.resendChannels,
    services: outcomes.map((o) => alertInput(o, services[o.service.name], now, o.maintenance !== undefined)),
    // A disabled service is no longer watched: its open alerts are closed like a removed one's.
    known: Object.entries(manifest.services).filter(([, spec]) => spec.enabled).map(([name]) => name),
    now,
    host: input.host,
  });
  const heals = outcomes.flatMap((o) => (o.heal ? [{ service: o.service.name, result: o.heal.result }] : []));
  return {
    state: { ...state, services: withLastAlerts(services, plan.routed, now), alerts: enqueue(plan.next, plan.messages), metrics: countHeals(state.metrics, heals) },
    reports: outcomes.map((o) => withHeldNotices(o.report, plan.held)),
    routed: plan.routed,
    stopped: outcomes.flatMap(({ service }) => {
      const after = restartsStopped(service, services[service.name], now);
      return after && !restartsStopped(service, serviceStateOf(state, service.name), now) ? [{ service: service.name, ...after }] : [];
    }),
  };
}

/** Each service's record with the last notice this scan made about it, for `heal status`. */
function withLastAlerts(services: State['services'], routed: readonly RoutedNotice[], now: number): State['services'] {
  const next = { ...services };
  for (const { notice, channels } of routed) {
    const record = Object.hasOwn(next, notice.service) ? next[notice.service] : undefined;
    if (record) next[notice.service] = { ...record, lastAlert: { at: now, kind: notice.kind, level: notice.level, channels } };
  }
  return next;
}

/** What the service's record keeps of its scan: derived from the report and the heal. */
export function scanResultOf({ report, heal, started }: ServiceOutcome): ServiceScanResult {
  // Degraded answers: the breaker and flapping see it up; its alert says what is wrong.
  const healthy = report.status === 'up' || report.status === 'healed' || report.status === 'degraded';
  return { healthy, checks: checkRecords(report.checks), rule: report.rule, ...(heal ? { heal } : {}), ...(started ? { started } : {}) };
}

/** Healed notices the level's cooldown held back this scan, on the service's report. */
function withHeldNotices(report: ServiceReport, held: readonly HeldNotice[]): ServiceReport {
  const mine = held.filter((h) => h.service === report.name).map(({ kind, level, count, untilMs }) => ({ kind, level, count, until: new Date(untilMs).toISOString() }));
  return mine.length ? { ...report, alertsHeld: mine } : report;
}

/** What the alert manager needs of a judged service. */
function alertInput({ service, report }: ServiceOutcome, next: ServiceState | undefined, now: number, inMaintenance: boolean): ServiceAlertInput {
  const flapping = next?.flapping;
  const stopped = report.status === 'down' || flapping ? restartsStopped(service, next, now) : undefined;
  // A down service's detail names what counts it down; a degraded one's, what degrades it.
  const failing = report.checks.filter((c) => !c.ok && (report.status === 'degraded' || !c.alertOnly)).map((c) => `${c.name}: ${c.error}`);
  return {
    service: service.name,
    status: report.status,
    rule: report.rule,
    alertLevel: service.spec.alert_level,
    healedLevel: service.spec.healed_level,
    degradedLevel: service.spec.degraded_level,
    detail: failing.length ? failing.join('; ') : report.reason ?? 'all checks pass',
    ...(report.action || report.reason ? { action: [report.action, report.reason].filter(Boolean).join(': ') } : {}),
    ...(flapping ? { flapping } : {}),
    ...(stopped ? { stopped } : {}),
    ...(inMaintenance ? { inMaintenance } : {}),
  };
}
