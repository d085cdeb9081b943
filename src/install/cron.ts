/**
 * `heal install cron`: one crontab line, pure. The line runs the scan with absolute node and CLI
 * paths and a PATH (cron's own is /usr/bin:/bin), appends its output to `<state dir>/cron.log`,
 * and ends with a marker comment by which `--write` finds and replaces it later.
 *
 * cron hands the command to /bin/sh, so every word is sh-quoted; cron itself turns an unescaped
 * `%` into a newline, so each `%` is written `\%` (cron drops that backslash before sh sees it).
 */
import { join } from 'node:path';
import { HealError } from '../common/errors.js';
import { describeInterval, type ScheduleInterval } from './interval.js';
import { shellJoin, shellQuote } from '../common/shell.js';
import { scanArgv, type ScanJob } from './target.js';

/** Ends the heal line; `--write` replaces the line holding it and no other. */
export const CRON_MARKER = '# heal scan (managed by heal install cron)';

/** Minutes that divide an hour and hours that divide a day: the intervals cron can keep evenly. */
export const CRON_MINUTES = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30] as const;
export const CRON_HOURS = [1, 2, 3, 4, 6, 8, 12, 24] as const;

/**
 * The five schedule fields for an interval: 300 s → `*\/5 * * * *`, 3600 s → `0 * * * *`,
 * 7200 s → `0 *\/2 * * *`, 86400 s → `0 0 * * *`. cron steps restart at every hour (or day), so
 * only minutes dividing 60 and hours dividing 24 give an even interval; anything else is a
 * usage error that lists what works.
 */
export function cronSchedule(interval: ScheduleInterval): string {
  const { seconds } = interval;
  const minutes = seconds / 60;
  if (Number.isInteger(minutes) && (CRON_MINUTES as readonly number[]).includes(minutes)) {
    return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
  }
  const hours = seconds / 3_600;
  if (Number.isInteger(hours) && (CRON_HOURS as readonly number[]).includes(hours)) {
    if (hours === 24) return '0 0 * * *';
    return hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
  }
  throw new HealError(
    'usage',
    `${interval.source} (${describeInterval(seconds)}) does not fit cron, which can run every ${CRON_MINUTES.join(', ')} minutes ` +
      `(--interval ${CRON_MINUTES.map((m) => m * 60).join(', ')}) or every ${CRON_HOURS.join(', ')} hours ` +
      `(--interval ${CRON_HOURS.map((h) => h * 3_600).join(', ')}); launchd and systemd take any interval`,
  );
}

/** The file a cron-run scan's output is appended to: `<state dir>/cron.log`. */
export function cronLogFile(stateDir: string): string {
  return join(stateDir, 'cron.log');
}

export type CronOptions = ScanJob & { interval: ScheduleInterval; logFile: string };

/** The crontab line, without a trailing newline. */
export function renderCronLine(options: CronOptions): string {
  const command = `PATH=${shellQuote(options.path)} ${shellJoin(scanArgv(options))} >> ${shellQuote(options.logFile)} 2>&1`;
  return `${cronSchedule(options.interval)} ${command.replace(/%/g, '\\%')} ${CRON_MARKER}`;
}

/**
 * The user's crontab with the heal line in it: an earlier heal line (any line holding the
 * marker) is replaced where it stood, further ones are dropped, every other line is kept as it
 * was; with no earlier heal line the new one is appended. The table ends with a newline, which
 * cron needs after the last line.
 */
export function mergeCrontab(existing: string, line: string): { table: string; replaced: boolean } {
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let replaced = false;
  for (const current of lines) {
    if (!current.includes(CRON_MARKER)) {
      out.push(current);
    } else if (!replaced) {
      out.push(line);
      replaced = true;
    }
  }
  if (!replaced) out.push(line);
  return { table: `${out.join('\n')}\n`, replaced };
}
