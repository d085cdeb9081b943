/** What a scan reports: per service its status, checks, what was done and why, and its alerts. */
import type { RoutedNotice } from '../alerts/manager.js';
import type { Notice } from '../alerts/types.js';
import { EXIT } from '../common/errors.js';
import type { DecisionRule } from '../policy/rules.js';
import type { CheckRecord, State } from '../state/schema.js';

/**
 * A check as reported: `detail` says what a passing check saw ("expires in 89 days (2027-03-01)",
 * "pid 4242"); `alertOnly` marks one whose failure only degrades the service (`on_fail: alert`).
 */
export type CheckReport = CheckRecord & { type: string; detail?: string; alertOnly?: true };
/** `degraded`: only checks with `on_fail: alert` fail; it answers, is alerted on, never restarted. */
export type ServiceStatus = 'up' | 'down' | 'healed' | 'degraded' | 'skipped';

export type ServiceReport = {
  name: string;
  status: ServiceStatus;
  /** The policy rule that decided what was done (see policy/heal.ts). */
  rule: DecisionRule;
  checks: CheckReport[];
  /** What was done: "restarted (command: …)", "restart failed (command: …)" (the reason is its error), "would restart (…)", "held back". */
  action?: string;
  /** Why, in a few words: the rule's reason, or the restart's error. */
  reason?: string;
  /** Notices this scan made about the service (sent, or queued in the outbox). */
  alerts?: AlertReport[];
  /** Notices its level's cooldown held back this scan (a healed notice), with how many since the last one went out. */
  alertsHeld?: HeldAlertReport[];
};

export type HeldAlertReport = { kind: 'healed'; level: Notice['level']; count: number; until: string };

export type AlertReport = { id: string; kind: Notice['kind']; level: Notice['level']; channels: string[] };

export type ScanReport = {
  startedAt: string;
  durationMs: number;
  dryRun: boolean;
  services: ServiceReport[];
  /** Messages still waiting in the outbox after this scan's sends, by channel. */
  outbox: Record<string, number>;
  /** What the scan noticed beyond its services, one line each (a clock set back; a program a restart or check names that does not exist, manifest/programs.ts). */
  warnings?: string[];
  /**
   * Whether the scan's state reached the disk (absent in a dry run, which writes none). When
   * false, nothing this scan saw or did is remembered: the next scan starts from the last state
   * that was saved.
   */
  stateSaved?: boolean;
  /** Why the state could not be saved (ENOSPC, EROFS, …), when `stateSaved` is false. */
  stateError?: string;
};

/**
 * Scan exit code: 4 when the state could not be saved (whatever the services did), else 0 when
 * every scanned service ended up, healed or degraded (it answers; its alert says what is wrong),
 * 1 otherwise.
 */
export function scanExitCode(report: ScanReport): 0 | 1 | 4 {
  if (report.stateSaved === false) return EXIT.stateNotSaved;
  return report.services.every((s) => s.status === 'up' || s.status === 'healed' || s.status === 'degraded') ? 0 : 1;
}

export function scanReport(
  started: number,
  now: number,
  dryRun: boolean,
  services: readonly ServiceReport[],
  notices: readonly RoutedNotice[],
  state: State,
): ScanReport {
  const outbox: Record<string, number> = {};
  for (const entry of state.alerts.outbox) outbox[entry.message.channel] = (outbox[entry.message.channel] ?? 0) + 1;
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: now - started,
    dryRun,
    services: services.map((report) => {
      const alerts = notices
        .filter((n) => n.notice.service === report.name)
        .map(({ notice, channels }) => ({ id: notice.id, kind: notice.kind, level: notice.level, channels }));
      return alerts.length ? { ...report, alerts } : report;
    }),
    outbox,
  };
}

export function checkRecords(checks: readonly CheckReport[]): CheckRecord[] {
  return checks.map(({ type: _type, detail: _detail, alertOnly: _alertOnly, ...record }) => record);
}
