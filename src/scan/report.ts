/** What a scan reports: per service its status, checks, what was done and why, and its alerts. */
import type { RoutedNotice } from '../alerts/manager.js';
import type { Notice } from '../alerts/types.js';
import { EXIT } from '../common/errors.js';
import type { DecisionRule } from '../policy/rules.js';
import type { CheckRecord, State } from '../state/schema.js';

export type CheckReport = CheckRecord & { type: string };
export type ServiceStatus = 'up' | 'down' | 'healed' | 'skipped';

export type ServiceReport = {
  name: string;
  status: ServiceStatus;
  /** The policy rule that decided what was done (see policy/heal.ts). */
  rule: DecisionRule;
  checks: CheckReport[];
  /** What was done: "restarted (command: …)", "would restart (…)", "held back". */
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
 * every scanned service ended up or healed, 1 otherwise.
 */
export function scanExitCode(report: ScanReport): 0 | 1 | 4 {
  if (report.stateSaved === false) return EXIT.stateNotSaved;
  return report.services.every((s) => s.status === 'up' || s.status === 'healed') ? 0 : 1;
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
  return checks.map(({ type: _type, ...record }) => record);
}
