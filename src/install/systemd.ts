/**
 * `heal install systemd`: a user service (`heal-scan.service`, Type=oneshot) and the timer that
 * starts it (`heal-scan.timer`), both pure text. Output goes to the journal
 * (`journalctl --user -u heal-scan`).
 *
 * The service has KillMode=process: when a oneshot's main process exits, systemd stops the unit
 * and, by default (KillMode=control-group), kills every process still in its cgroup — so a
 * service heal started with `detach: true` (its own session, but the same cgroup) would die with
 * the scan. With KillMode=process only the scan itself is signalled; test/systemd/schedule.test.ts
 * proves it with the real timer in a container. (systemd.kill(5) calls KillMode=process "not
 * recommended" for services whose leftovers are garbage; here the leftovers are the point.)
 *
 * Intervals that a calendar expression keeps evenly (seconds dividing a minute, minutes dividing
 * an hour, hours dividing a day) use OnCalendar= with Persistent=true, so a run missed while the
 * machine was off happens at the next start; any other interval uses OnBootSec= +
 * OnUnitActiveSec= (Persistent= only affects OnCalendar=, so it is left out there).
 */
import { join } from 'node:path';
import { HealError } from '../common/errors.js';
import { describeInterval } from './interval.js';
import { scanArgv, type ScanJob } from './target.js';

export const SYSTEMD_SERVICE = 'heal-scan.service';
export const SYSTEMD_TIMER = 'heal-scan.timer';

/** What enables the timer once the units are written. */
export const SYSTEMD_ENABLE = `systemctl --user daemon-reload && systemctl --user enable --now ${SYSTEMD_TIMER}`;

const HEADER = '# Written by `heal install systemd`: re-run it rather than editing this file.';

/** The user unit folder: $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user. */
export function systemdUserDir(home: string, env: Readonly<Record<string, string | undefined>>): string {
  const config = env['XDG_CONFIG_HOME'];
  return join(config && config.startsWith('/') ? config : join(home, '.config'), 'systemd', 'user');
}

/** When the timer fires: a calendar expression, or a monotonic period for intervals that have none. */
export type TimerSchedule = { kind: 'calendar'; onCalendar: string } | { kind: 'monotonic'; every: string };

/**
 * 300 s → `*:0/5`, 30 s → `*:*:0/30`, 7200 s → `0/2:00`, 86400 s → `*-*-* 00:00:00`; an interval
 * that does not divide its minute, hour or day evenly (420 s, 90 s, 5 h) → monotonic `420s`.
 */
export function timerSchedule(seconds: number): TimerSchedule {
  if (seconds < 60 && 60 % seconds === 0) return { kind: 'calendar', onCalendar: `*:*:0/${seconds}` };
  if (seconds % 60 === 0 && seconds < 3_600 && 60 % (seconds / 60) === 0) return { kind: 'calendar', onCalendar: `*:0/${seconds / 60}` };
  if (seconds % 3_600 === 0 && 24 % (seconds / 3_600) === 0) {
    const hours = seconds / 3_600;
    return { kind: 'calendar', onCalendar: hours === 24 ? '*-*-* 00:00:00' : `0/${hours}:00` };
  }
  return { kind: 'monotonic', every: `${seconds}s` };
}

/**
 * The executable of an ExecStart= line. systemd expands `%` specifiers in it (so `%` is `%%`) but
 * not `$` variables, and refuses an executable whose path holds a quote or a backslash.
 */
export function systemdExecutable(path: string): string {
  if (/["'\\]/.test(path)) {
    throw new HealError('usage', `systemd cannot run ${JSON.stringify(path)}: an ExecStart= executable may not hold quotes or backslashes`);
  }
  const escaped = path.replace(/%/g, '%%');
  return /\s/.test(path) ? `"${escaped}"` : escaped;
}

/**
 * One argument of an ExecStart= line (systemd.syntax(7) "Quoting", systemd.service(5) "Command
 * lines"): double-quoted with C escapes for `\` and `"` when it holds whitespace, a quote or a
 * backslash, or is empty; `%` → `%%` (specifiers) and `$` → `$$` (variables) always.
 */
export function systemdArgument(word: string): string {
  const escaped = word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return word === '' || /[\s"'\\]/.test(word) ? `"${escaped}"` : escaped;
}

/** An Environment= value: always double-quoted, `\` and `"` escaped, `%` → `%%` (no `$` expansion there). */
export function systemdEnvironment(name: string, value: string): string {
  return `"${`${name}=${value}`.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** The ExecStart= value: `<node> <cli> scan --config <manifest>`, each word quoted for systemd. */
export function execStart(job: ScanJob): string {
  const [node, ...args] = scanArgv(job);
  return [systemdExecutable(node as string), ...args.map(systemdArgument)].join(' ');
}

/** heal-scan.service. */
export function renderService(job: ScanJob): string {
  return [
    HEADER,
    '[Unit]',
    'Description=heal scan: check local services and restart what is down',
    '',
    '[Service]',
    'Type=oneshot',
    '# A service a scan starts (a `command` restart with detach: true, or one a restart command',
    '# backgrounds) must outlive the scan: with the default KillMode=control-group systemd kills',
    '# every process left in this unit when the scan ends.',
    'KillMode=process',
    `ExecStart=${execStart(job)}`,
    `Environment=${systemdEnvironment('PATH', job.path)}`,
    '',
  ].join('\n');
}

/** heal-scan.timer. */
export function renderTimer(job: ScanJob): string {
  const schedule = timerSchedule(job.intervalSeconds);
  const when =
    schedule.kind === 'calendar'
      ? [`OnCalendar=${schedule.onCalendar}`, 'Persistent=true']
      : [`OnBootSec=${schedule.every}`, `OnUnitActiveSec=${schedule.every}`];
  return [
    HEADER,
    '[Unit]',
    `Description=Run heal scan every ${describeInterval(job.intervalSeconds)}`,
    '',
    '[Timer]',
    `Unit=${SYSTEMD_SERVICE}`,
    ...when,
    'AccuracySec=1s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}
