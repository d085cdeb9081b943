/**
 * One send's time budget: a signal that aborts at `timeoutMs` or when the scan's own signal
 * does, and a promise to race the send against, so a library that ignores the signal still
 * cannot hold the scan.
 */
import { deadlineSignal, onceAborted } from '../../common/deadline.js';

export type SendBudget = {
  signal: AbortSignal;
  /** Resolves when the budget is spent. */
  expired: Promise<'expired'>;
  /** Stops the timer and aborts whatever still listens: call it in a `finally`. */
  end(): void;
};

/** How long one request of a channel may take: its spec's `timeout`, cut to the send's budget. */
export function sendTimeout(timeout: number, ctx: { timeoutMs: number }): number {
  return Math.max(1, Math.min(timeout, ctx.timeoutMs));
}

/** The budget of a send that may take `timeoutMs`, cut short when `outer` aborts. */
export function sendBudget(outer: AbortSignal, timeoutMs: number): SendBudget {
  const deadline = deadlineSignal(timeoutMs, [outer]);
  const expired = new Promise<'expired'>((resolve) => onceAborted(deadline.signal, () => resolve('expired')));
  return { signal: deadline.signal, expired, end: () => deadline.end() };
}
