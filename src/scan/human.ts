/** The scan report as people read it on a terminal: one line per service. */
import { formatDuration } from '../common/duration.js';
import type { CheckReport, ScanReport, ServiceReport } from './report.js';

const MARK: Record<ServiceReport['status'], string> = { up: '✓', healed: '↻', degraded: '!', down: '✗', skipped: '–' };

export function formatScanReport(report: ScanReport): string {
  const width = Math.max(4, ...report.services.map((s) => s.name.length));
  const counts = (['up', 'healed', 'degraded', 'down', 'skipped'] as const)
    .map((status) => [status, report.services.filter((s) => s.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  const head = `heal scan${report.dryRun ? ' (dry run: nothing restarted, no state written)' : ''} · ${report.services.length} service${report.services.length === 1 ? '' : 's'}${counts.length ? ` (${counts.join(', ')})` : ''} · ${formatDuration(report.durationMs)}`;
  const lines = report.services.flatMap((service) => {
    const what = [service.action, service.reason].filter(Boolean).join(': ');
    const line = `${MARK[service.status]} ${service.name.padEnd(width)}  ${service.status.padEnd(7)} ${what ? `${what} · ` : ''}${service.checks.map(formatCheck).join(', ')}`;
    const verb = report.dryRun ? 'would alert' : 'alert';
    const alerts = (service.alerts ?? []).map((a) => `  ${' '.repeat(width)}  ${verb}: ${a.level} ${a.kind} → ${a.channels.join(', ')}`);
    const held = (service.alertsHeld ?? []).map((h) => `  ${' '.repeat(width)}  ${h.kind} notice held back by the ${h.level} cooldown (${h.count} since the last one went out; next possible at ${h.until})`);
    return [line, ...alerts, ...held];
  });
  const waiting = Object.entries(report.outbox);
  const outbox = waiting.length
    ? [`outbox: ${waiting.map(([channel, n]) => `${n} message${n === 1 ? '' : 's'} for ${channel}`).join(', ')} not delivered yet; retried next scan`]
    : [];
  const warnings = (report.warnings ?? []).map((w) => `warning: ${w}`);
  const unsaved = report.stateSaved === false ? [`state not saved: ${report.stateError ?? 'unknown error'}; nothing this scan saw or did is remembered, the next scan starts from the last saved state (exit 4)`] : [];
  return [head, ...warnings, ...lines, ...outbox, ...unsaved].join('\n') + '\n';
}

function formatCheck(check: CheckReport): string {
  return check.ok ? `${check.name} ${formatDuration(check.latencyMs)}` : `${check.name} FAILED (${check.error})`;
}
