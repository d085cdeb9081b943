/**
 * Is a schedule installed, and does it run this heal on this manifest? Pure, over the schedules
 * found where `heal install` writes them (gather.ts): the crontab line holding heal's marker,
 * the systemd user unit heal-scan.service, the LaunchAgent plist. A schedule "points at" this
 * heal when its text names this copy's cli.js and this manifest, written as that scheduler's
 * renderer writes a path (sh-quoted in a crontab, XML-escaped in a plist, quoted for systemd).
 */
import { shellQuote } from '../common/shell.js';
import { xmlEscape } from '../install/launchd.js';
import { systemdArgument } from '../install/systemd.js';
import { fail, pass, type Finding } from './finding.js';

/** Which scheduler a schedule is for. */
export type ScheduleKind = 'cron' | 'systemd' | 'launchd';

/**
 * One schedule found: its scheduler, where it lives (a file, or "your crontab"), its text and,
 * for a unit file or plist, whether the scheduler has it (the timer enabled, the job loaded).
 */
export type InstalledSchedule = { kind: ScheduleKind; where: string; text: string; active?: { ok: true } | { ok: false; reason: string; fix: string } };

/** What a schedule of this heal must name. */
export type ExpectedJob = { cli: string; config: string };

/** How a path is written in each scheduler's text. */
function written(kind: ScheduleKind, path: string): string {
  if (kind === 'cron') return shellQuote(path).replace(/%/g, '\\%');
  if (kind === 'launchd') return `<string>${xmlEscape(path)}</string>`;
  return systemdArgument(path);
}

/** The command that (re)writes a schedule of `kind` for `config`. */
export function installCommandFor(kind: ScheduleKind, config: string): string {
  return `heal install ${kind}${kind === 'cron' ? ' --write' : ''} --config ${shellQuote(config)}`;
}

/**
 * One finding per schedule found, or one failure when none is: the fix names the install command
 * for this platform (launchd on macOS, cron or systemd elsewhere).
 */
export function judgeSchedules(found: readonly InstalledSchedule[], expected: ExpectedJob, platform: NodeJS.Platform): Finding[] {
  if (found.length === 0) {
    const fix =
      platform === 'darwin'
        ? `${installCommandFor('launchd', expected.config)}, then run the launchctl line it prints`
        : `${installCommandFor('cron', expected.config)} (or ${installCommandFor('systemd', expected.config)} and enable the timer)`;
    return [fail('no schedule runs heal scan: no heal line in your crontab, no heal-scan.service, no com.heal.scan.plist', fix)];
  }
  return found.map((schedule) => {
    const runsThisHeal = schedule.text.includes(written(schedule.kind, expected.cli));
    const onThisManifest = schedule.text.includes(written(schedule.kind, expected.config));
    const what = `schedule (${schedule.kind}, ${schedule.where})`;
    if (runsThisHeal && onThisManifest) {
      if (schedule.active && !schedule.active.ok) return fail(`${what} runs this heal on ${expected.config}, but ${schedule.active.reason}`, schedule.active.fix);
      return pass(`${what} runs this heal (${expected.cli}) on ${expected.config}`);
    }
    const wrong = [runsThisHeal ? '' : `does not run this heal (${expected.cli})`, onThisManifest ? '' : `does not scan ${expected.config}`].filter(Boolean).join(' and ');
    return fail(`${what} ${wrong}`, `re-run ${installCommandFor(schedule.kind, expected.config)} with this heal`);
  });
}
