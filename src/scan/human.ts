/**
 * The scan report as people read it: one line per service. On a terminal (`TerminalStyle`) the
 * marks and statuses are coloured and long lines wrap to the terminal's width, continuation lines
 * under the service's detail; off a terminal it is plain text, one line per service.
 */
import { formatDuration } from '../common/duration.js';
import { formatLocalTime } from '../common/local-time.js';
import type { Paint } from '../terminal/colour.js';
import { fitLine } from '../terminal/fit.js';
import { PLAIN, type TerminalStyle } from '../terminal/style.js';
import type { CheckReport, ScanReport, ServiceReport } from './report.js';

const MARK: Record<ServiceReport['status'], string> = { up: '✓', healed: '↻', degraded: '!', down: '✗', skipped: '–' };

/** The colour of a status word and its mark. */
export function statusColour(p: Paint, status: ServiceReport['status'] | 'unknown'): (text: string) => string {
  if (status === 'up') return p.green;
  if (status === 'healed') return p.cyan;
  if (status === 'degraded') return p.yellow;
  if (status === 'down') return p.red;
  return p.dim;
}

export function formatScanReport(report: ScanReport, style: TerminalStyle = PLAIN): string {
  const p = style.paint;
  const fit = (line: string, indent: number) => fitLine(line, style.width, indent);
  const width = Math.max(4, ...report.services.map((s) => s.name.length));
  const detailColumn = 2 + width + 2 + 8;
  const counts = (['up', 'healed', 'degraded', 'down', 'skipped'] as const)
    .map((status) => [status, report.services.filter((s) => s.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  const head = `heal scan${report.dryRun ? ' (dry run: nothing restarted, no state written)' : ''} · ${report.services.length} service${report.services.length === 1 ? '' : 's'}${counts.length ? ` (${counts.join(', ')})` : ''} · ${formatDuration(report.durationMs)}`;
  const lines = report.services.flatMap((service) => {
    const what = [service.action, service.reason].filter(Boolean).join(': ');
    const tint = statusColour(p, service.status);
    const line = `${tint(MARK[service.status])} ${service.name.padEnd(width)}  ${tint(service.status)}${' '.repeat(Math.max(0, 7 - service.status.length))} ${what ? `${what} · ` : ''}${service.checks.map((c) => formatCheck(c, p)).join(', ')}`;
    const verb = report.dryRun ? 'would alert' : 'alert';
    const alerts = (service.alerts ?? []).map((a) => `  ${' '.repeat(width)}  ${verb}: ${a.level} ${a.kind} → ${a.channels.join(', ')}`);
    const held = (service.alertsHeld ?? []).map((h) => `  ${' '.repeat(width)}  ${h.kind} notice held back by the ${h.level} cooldown (${h.count} since the last one went out; next possible at ${formatLocalTime(Date.parse(h.until), Date.parse(report.startedAt))})`);
    return [...fit(line, detailColumn), ...[...alerts, ...held].flatMap((l) => fit(l, width + 4))];
  });
  const waiting = Object.entries(report.outbox);
  const outbox = waiting.length
    ? [`outbox: ${waiting.map(([channel, n]) => `${n} message${n === 1 ? '' : 's'} for ${channel}`).join(', ')} not delivered yet; retried next scan`]
    : [];
  const warnings = (report.warnings ?? []).map((w) => `${p.yellow('warning:')} ${w}`);
  const unsaved = report.stateSaved === false ? [`${p.red('state not saved:')} ${report.stateError ?? 'unknown error'}; nothing this scan saw or did is remembered, the next scan starts from the last saved state (exit 4)`] : [];
  return [...fit(head, 2), ...warnings.flatMap((l) => fit(l, 2)), ...lines, ...[...outbox, ...unsaved].flatMap((l) => fit(l, 2))].join('\n') + '\n';
}

function formatCheck(check: CheckReport, p: Paint): string {
  return check.ok ? `${check.name} ${formatDuration(check.latencyMs)}` : `${check.name} ${p.red('FAILED')} (${check.error})`;
}
