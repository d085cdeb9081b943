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

/** Why a wait ended before its work did: its time ran out, or a signal aborted. */
export type WaitEnd = 'timeout' | 'aborted';

/** Signals a wait listens to; absent ones are skipped. */
export type Signals = readonly (AbortSignal | null | undefined)[];

/**
 * Calls `then` once, at the first of: `ms` passing (`'timeout'`), or any of `signals` aborting
 * (`'aborted'`, at once, before this returns, when one already has). Without `ms` there is no
 * timer. Returns the cancel, which clears the timer and the listeners; `then` clears them itself
 * before it is called, so nothing is left behind either way.
 */
export function onTimeoutOrAbort(ms: number | undefined, signals: Signals, then: (why: WaitEnd) => void): () => void {
  const sources = signals.filter((signal): signal is AbortSignal => signal != null);
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  const cancel = (): void => {
    over = true;
    clearTimeout(timer);
    for (const source of sources) source.removeEventListener('abort', onAbort);
  };
  const end = (why: WaitEnd): void => {
    if (over) return;
    cancel();
    then(why);
  };
  function onAbort(): void {
    end('aborted');
  }
  if (sources.some((source) => source.aborted)) {
    end('aborted');
    return cancel;
  }
  for (const source of sources) source.addEventListener('abort', onAbort, { once: true });
  if (ms !== undefined) timer = setTimeout(() => end('timeout'), timerDelay(ms));
  return cancel;
}

/** Calls `listener` once `signal` aborts: at once when it already has. */
export function onceAborted(signal: AbortSignal, listener: () => void): void {
  if (signal.aborted) listener();
  else signal.addEventListener('abort', listener, { once: true });
}

/** A signal of its own that aborts when its time runs out or when any of its parents aborts. */
export type Deadline = {
  readonly signal: AbortSignal;
  /** Whether it aborted because its time ran out (not because a parent did, nor by {@link end}). */
  timedOut(): boolean;
  /** Clears the timer and stops listening to the parents; the signal stays as it is. */
  dispose(): void;
  /** Disposes, then aborts the signal, so whatever still listens to it stops: call it in a `finally`. */
  end(): void;
};

/**
 * A {@link Deadline}: its signal aborts `ms` from now or as soon as any of `parents` aborts (at
 * once when one already has). Without `ms` it follows the parents only.
 */
export function deadlineSignal(ms: number | undefined, parents: Signals): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const dispose = onTimeoutOrAbort(ms, parents, (why) => {
    timedOut = why === 'timeout';
    controller.abort();
  });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose,
    end() {
      dispose();
      controller.abort();
    },
  };
}

/**
 * A signal that aborts as soon as any of `signals` does (what `AbortSignal.any` does from Node
 * 20.3; heal runs on Node 20.0 too). It stops listening to the others once it has aborted.
 */
export function anySignal(signals: Signals): AbortSignal {
  return deadlineSignal(undefined, signals).signal;
}

/**
 * What `work` settles with, or what `late()` gives once `ms` has passed first. The timer is
 * cleared as soon as either comes. `work` goes on when it loses: hand it a signal to stop it.
 */
export function within<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<L>((resolve) => {
    timer = setTimeout(() => resolve(late()), timerDelay(ms));
  });
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}
