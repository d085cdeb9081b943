/**
 * The schedule slack of a wait measured between scans (a cooldown, a breaker's open time). heal
 * runs on a schedule as long as the default cooldown (5m); a scan starts a little early or late
 * (cron's jitter, node's start), and a wait that began during one scan (after its checks, or
 * after a slow restart) ends a little after the scan that should see it over. A wait with less
 * than its slack left counts as over, so that scan is not held back a whole interval. The slack
 * is {@link SCHEDULE_SLACK_MS} at most and never more than {@link SCHEDULE_SLACK_FRACTION} of the
 * wait, so a short wait stays a wait.
 */

/** The most a wait is shortened by. */
export const SCHEDULE_SLACK_MS = 10_000;
/** The largest part of a wait the schedule slack may take. */
export const SCHEDULE_SLACK_FRACTION = 0.1;

/** The schedule slack of a wait of `waitMs`: 10 s, or a tenth of the wait when that is less. */
export function scheduleSlackMs(waitMs: number): number {
  return Math.min(SCHEDULE_SLACK_MS, Math.floor(waitMs * SCHEDULE_SLACK_FRACTION));
}
