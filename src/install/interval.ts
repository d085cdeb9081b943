/**
 * How often the schedule runs `heal scan`, in whole seconds: `--interval` (seconds, or a duration
 * such as "5m"), else the manifest's `interval` (default 5m).
 */
import { formatDuration, parseDuration } from '../common/duration.js';
import { HealError } from '../common/errors.js';

/** An interval and where it came from, for error messages ("--interval 420", "interval: 7m in services.yaml"). */
export type ScheduleInterval = { seconds: number; source: string };

/**
 * The interval from `--interval` when given, else from the manifest's `interval` (milliseconds).
 * Throws a usage error unless it is a positive whole number of seconds.
 */
export function scheduleInterval(option: string | undefined, manifestMs: number, manifestPath: string): ScheduleInterval {
  if (option !== undefined) {
    const text = option.trim();
    const ms = /^\d+$/.test(text) ? Number(text) * 1_000 : parseDuration(text);
    const source = `--interval ${option}`;
    if (ms === undefined) throw new HealError('usage', `${source}: expected seconds (300) or a duration (5m)`);
    return { seconds: wholeSeconds(ms, source), source };
  }
  // formatDuration rounds to seconds, which would hide the very problem reported.
  const shown = manifestMs % 1_000 === 0 ? formatDuration(manifestMs) : `${manifestMs}ms`;
  const source = `interval: ${shown} in ${manifestPath}`;
  return { seconds: wholeSeconds(manifestMs, source), source };
}

function wholeSeconds(ms: number, source: string): number {
  if (!Number.isFinite(ms) || ms < 1_000 || ms % 1_000 !== 0) {
    throw new HealError('usage', `${source}: a schedule needs a whole number of seconds, at least 1`);
  }
  return ms / 1_000;
}

/** "5m", "90s", "2h": the interval as people write it. */
export function describeInterval(seconds: number): string {
  return formatDuration(seconds * 1_000);
}
