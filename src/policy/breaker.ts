/**
 * The circuit breaker of one service, as pure transitions over a serialisable state: the step of
 * the escalation ladder that makes heal stop trying for a while, and always try again.
 *
 * CLOSED counts consecutive scans whose heal failed; at `failure_threshold` it goes OPEN: no
 * restarts, and only one cheap probe runs. After `open_for` it is HALF_OPEN: one heal is allowed.
 * HALF_OPEN is probation: `success_threshold` healthy scans close it; a failed heal, or the
 * service found down again after it came back, opens it again with the wait doubled (up to
 * `max_open_for`), so a breaker never stays open for good. A service that starts flapping opens
 * it too, and while it flaps the breaker stays on probation however long each healthy spell
 * lasts. `heal reset` closes it by hand.
 *
 * Transitions are judged at `now` (never before the decision that led to them) and stamped at
 * `at` (the scan's start, by default `now`), so a wait counts from the scheduled scan, not from
 * the end of a slow restart; like a cooldown, an open time has the schedule slack.
 */
import { scheduleSlackMs } from '../common/schedule-slack.js';
import { waitEndsAt } from '../common/time.js';
import type { BreakerSettings } from '../manifest/schema.js';

export type BreakerState =
  | { state: 'closed'; failures: number }
  | { state: 'open'; openedAt: number; openForMs: number }
  | { state: 'half_open'; since: number; openForMs: number; successes: number };

export const CLOSED: BreakerState = { state: 'closed', failures: 0 };

/**
 * The breaker as it stands at `now`: an OPEN breaker whose wait is over is HALF_OPEN. A breaker
 * opened "in the future" (the clock was set back) waits `openForMs` from `now`, no longer.
 */
export function breakerAt(breaker: BreakerState, now: number): BreakerState {
  const reopens = halfOpensAt(breaker, now);
  if (breaker.state === 'open' && reopens !== undefined && now >= reopens) return { state: 'half_open', since: reopens, openForMs: breaker.openForMs, successes: 0 };
  return breaker;
}

/**
 * When an OPEN breaker lets one heal through, seen at `now`: `openForMs` after it opened, less
 * the schedule slack, and never more than that away (a breaker opened "in the future" counts
 * from `now`). Undefined when it is not open.
 */
export function halfOpensAt(breaker: BreakerState, now: number): number | undefined {
  return breaker.state === 'open' ? waitEndsAt(breaker.openedAt, breaker.openForMs - scheduleSlackMs(breaker.openForMs), now) : undefined;
}

/** A scan in which a heal did not bring the service back. */
export function onHealFailed(breaker: BreakerState, settings: BreakerSettings, now: number, at = now): BreakerState {
  const current = breakerAt(breaker, now);
  switch (current.state) {
    case 'closed': {
      const failures = current.failures + 1;
      return failures >= settings.failure_threshold ? { state: 'open', openedAt: at, openForMs: settings.open_for } : { state: 'closed', failures };
    }
    case 'half_open':
      return reopen(current, settings, at);
    case 'open':
      return current;
  }
}

/**
 * A scan that found the service down, before any heal. On probation (half-open after the service
 * came back at least once), that is the trial failing: open again, the wait doubled. Otherwise
 * nothing changes: the heal that follows (or not) decides.
 */
export function onFoundDown(breaker: BreakerState, settings: BreakerSettings, now: number, at = now): BreakerState {
  const current = breakerAt(breaker, now);
  return current.state === 'half_open' && current.successes > 0 ? reopen(current, settings, at) : current;
}

/** The service started flapping: stop restarting it for `open_for`, or twice the last wait. */
export function onFlapping(breaker: BreakerState, settings: BreakerSettings, now: number, at = now): BreakerState {
  const current = breakerAt(breaker, now);
  switch (current.state) {
    case 'closed':
      return { state: 'open', openedAt: at, openForMs: settings.open_for };
    case 'half_open':
      return reopen(current, settings, at);
    case 'open':
      return current;
  }
}

/**
 * A scan that ended with the service healthy. While `flapping`, the breaker stays half-open
 * (on probation) whatever the count of healthy scans: it closes once the service is stable.
 */
export function onHealthy(breaker: BreakerState, settings: BreakerSettings, now: number, flapping = false, at = now): BreakerState {
  const current = breakerAt(breaker, now);
  switch (current.state) {
    case 'closed':
      return CLOSED;
    case 'open':
      // It came back on its own while open: count it as the first good scan of a trial.
      return closeOnceProven({ state: 'half_open', since: at, openForMs: current.openForMs, successes: 1 }, settings, flapping);
    case 'half_open':
      return closeOnceProven({ ...current, successes: current.successes + 1 }, settings, flapping);
  }
}

function closeOnceProven(breaker: Extract<BreakerState, { state: 'half_open' }>, settings: BreakerSettings, flapping: boolean): BreakerState {
  return breaker.successes >= settings.success_threshold && !flapping ? CLOSED : breaker;
}

function reopen(breaker: Extract<BreakerState, { state: 'half_open' }>, settings: BreakerSettings, at: number): BreakerState {
  return { state: 'open', openedAt: at, openForMs: Math.min(breaker.openForMs * 2, settings.max_open_for) };
}
