/**
 * Time measured by the wall clock, made safe for a clock that is set back. heal remembers when
 * things happened (a restart, an alert, a breaker opening) and later measures from them; after
 * the clock goes back, those times lie in the future. Every rule measures through these few
 * functions, so none holds anything back longer than its own setting: a time in the future
 * counts as "now" — elapsed 0, a wait that starts again from now and never ends later than
 * `now + its length`.
 */

/**
 * Times this little in the future are not a clock change: filesystems with coarse timestamps or
 * a file server whose clock is a little ahead. Past it, a time in the future is reported.
 */
export const CLOCK_TOLERANCE_MS = 5_000;

/** Milliseconds from `at` to `now`; 0 when `at` lies in the future (the clock was set back). */
export function elapsedSince(at: number, now: number): number {
  return Math.max(0, now - at);
}

/** How far `at` lies in the future of `now`; 0 when it does not. */
export function aheadOf(at: number, now: number): number {
  return Math.max(0, at - now);
}

/**
 * When a wait of `lengthMs` that began at `from` ends, seen at `now`: `from + lengthMs`; a wait
 * that began in the future (the clock was set back) begins again at `now`, so it never ends
 * later than `now + lengthMs`.
 */
export function waitEndsAt(from: number, lengthMs: number, now: number): number {
  return Math.min(from, now) + Math.max(0, lengthMs);
}

/** Milliseconds left of that wait at `now`: between 0 and `lengthMs`. */
export function waitLeft(from: number, lengthMs: number, now: number): number {
  return Math.max(0, waitEndsAt(from, lengthMs, now) - now);
}

/**
 * A remembered window `[from, until]` (a silence, a channel's retry-after pause) seen at `now`:
 * its end, moved back with its start when the start lies in the future, so what is left of it is
 * never more than its own length.
 */
export function windowEndsAt(from: number, until: number, now: number): number {
  return waitEndsAt(from, until - from, now);
}

/** The machine's time zone (TZ, else the system's), as an IANA name: where a window without its own zone is read. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
