/**
 * One send's time budget: a signal that aborts at `timeoutMs` or when the scan's own signal
 * does, and a promise to race the send against, so a library that ignores the signal still
 * cannot hold the scan.
 */
export type SendBudget = {
  signal: AbortSignal;
  /** Resolves when the budget is spent. */
  expired: Promise<'expired'>;
  /** Stops the timer and aborts whatever still listens: call it in a `finally`. */
  end(): void;
};

export function sendBudget(outer: AbortSignal, timeoutMs: number): SendBudget {
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  const expired = new Promise<'expired'>((resolve) => abort.signal.addEventListener('abort', () => resolve('expired'), { once: true }));
  outer.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(onAbort, timeoutMs);
  if (outer.aborted) onAbort();
  return {
    signal: abort.signal,
    expired,
    end() {
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
      abort.abort();
    },
  };
}
