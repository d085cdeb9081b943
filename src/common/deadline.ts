/**
 * Deadlines and aborts, one way for every part of heal that waits (checks, the check runner,
 * commands, HTTP requests, channel sends, stopping): a wait ends when its time runs out or a
 * signal aborts, whichever comes first, and no timer outlives the wait it bounds, so none keeps
 * the process alive. A wait that ran out of time says so in one wording: "timed out after 3s".
 */
import { formatDuration } from './duration.js';

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The one-line error of a wait that ran out of time: "timed out after 3s", "timed out after 500ms". */
export function timedOutAfter(ms: number): string {
  return `timed out after ${formatDuration(ms)}`;
}

/** `ms` as a delay setTimeout honours: no less than 0, no more than {@link MAX_TIMER_MS}. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
