import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  anySignal,
  deadlineSignal,
  MAX_TIMER_MS,
  onceAborted,
  onTimeoutOrAbort,
  timedOutAfter,
  timerDelay,
  within,
  type WaitEnd,
} from '../../src/common/deadline.js';

/** How many timers keep this process alive now (unref'd and cleared ones do not count). */
function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

function aborted(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('timedOutAfter', () => {
  it.each([
    [500, 'timed out after 500ms'],
    [3_000, 'timed out after 3s'],
    [90_000, 'timed out after 1m30s'],
    [600_000, 'timed out after 10m'],
  ])('words a wait of %i ms as %j', (ms, text) => {
    expect(timedOutAfter(ms)).toBe(text);
  });
});

describe('timerDelay', () => {
  it.each([
    [-5, 0],
    [0, 0],
    [1_500, 1_500],
    [MAX_TIMER_MS, MAX_TIMER_MS],
    [2 ** 31, MAX_TIMER_MS],
    [Number.POSITIVE_INFINITY, MAX_TIMER_MS],
  ])('turns %d ms into a delay of %d', (ms, delay) => {
    expect(timerDelay(ms)).toBe(delay);
  });
});

describe('onTimeoutOrAbort', () => {
  it('ends the wait with "timeout" once the time has passed, and only once', () => {
    vi.useFakeTimers();
    const ends: WaitEnd[] = [];
    const controller = new AbortController();
    onTimeoutOrAbort(1_000, [controller.signal], (why) => ends.push(why));
    vi.advanceTimersByTime(999);
    expect(ends).toEqual([]);
    vi.advanceTimersByTime(1);
    controller.abort();
    expect(ends).toEqual(['timeout']);
  });

  it('ends the wait with "aborted" when any of its signals aborts, and clears its timer then', () => {
    vi.useFakeTimers();
    const ends: WaitEnd[] = [];
    const first = new AbortController();
    const second = new AbortController();
    onTimeoutOrAbort(1_000, [first.signal, undefined, null, second.signal], (why) => ends.push(why));
    second.abort();
    first.abort();
    expect(ends).toEqual(['aborted']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends at once, before it returns and without a timer, when a signal has aborted already', () => {
    vi.useFakeTimers();
    const ends: WaitEnd[] = [];
    onTimeoutOrAbort(1_000, [new AbortController().signal, aborted()], (why) => ends.push(why));
    expect(ends).toEqual(['aborted']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never ends once cancelled: the timer is cleared and the signals are no longer heard', () => {
    vi.useFakeTimers();
    const then = vi.fn();
    const controller = new AbortController();
    const cancel = onTimeoutOrAbort(1_000, [controller.signal], then);
    cancel();
    expect(vi.getTimerCount()).toBe(0);
    controller.abort();
    vi.advanceTimersByTime(2_000);
    expect(then).not.toHaveBeenCalled();
  });

  it('waits for the signals alone when given no time', () => {
    vi.useFakeTimers();
    const then = vi.fn();
    const controller = new AbortController();
    onTimeoutOrAbort(undefined, [controller.signal], then);
    expect(vi.getTimerCount()).toBe(0);
    controller.abort();
    expect(then).toHaveBeenCalledWith('aborted');
  });
});

describe('onceAborted', () => {
  it('calls the listener when the signal aborts, or at once when it has', () => {
    const later = vi.fn();
    const controller = new AbortController();
    onceAborted(controller.signal, later);
    expect(later).not.toHaveBeenCalled();
    controller.abort();
    controller.abort();
    expect(later).toHaveBeenCalledTimes(1);

    const now = vi.fn();
    onceAborted(aborted(), now);
    expect(now).toHaveBeenCalledTimes(1);
  });
});

describe('deadlineSignal', () => {
  it('aborts when its time runs out, and says it timed out', () => {
    vi.useFakeTimers();
    const deadline = deadlineSignal(500, [new AbortController().signal]);
    vi.advanceTimersByTime(499);
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut()).toBe(true);
  });

  it('aborts with a parent, which is not a timeout, and leaves no timer behind', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const deadline = deadlineSignal(60_000, [parent.signal]);
    parent.abort();
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut()).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is aborted from the start when a parent already is', () => {
    const deadline = deadlineSignal(60_000, [aborted()]);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut()).toBe(false);
  });

  it('stays as it is when disposed: no timer, no abort from a parent later', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const deadline = deadlineSignal(1_000, [parent.signal]);
    deadline.dispose();
    parent.abort();
    vi.advanceTimersByTime(2_000);
    expect(deadline.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts its signal when ended, so what still listens stops, without calling it a timeout', () => {
    const deadline = deadlineSignal(60_000, []);
    const listener = vi.fn();
    deadline.signal.addEventListener('abort', listener);
    deadline.end();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(deadline.timedOut()).toBe(false);
  });

  it('keeps no timer alive once a parent aborted it, nor once it was ended (real timers)', () => {
    const before = liveTimers();
    const parent = new AbortController();
    const cut = deadlineSignal(60_000, [parent.signal]);
    const ended = deadlineSignal(60_000, []);
    expect(liveTimers()).toBe(before + 2);
    parent.abort();
    ended.end();
    expect(cut.signal.aborted && ended.signal.aborted).toBe(true);
    expect(liveTimers()).toBe(before);
  });
});

describe('anySignal', () => {
  it('aborts as soon as any of its signals does, skipping absent ones', () => {
    const first = new AbortController();
    const second = new AbortController();
    const any = anySignal([first.signal, undefined, second.signal, null]);
    expect(any.aborted).toBe(false);
    second.abort();
    expect(any.aborted).toBe(true);
  });

  it('is aborted from the start when one of its signals already is', () => {
    expect(anySignal([new AbortController().signal, aborted()]).aborted).toBe(true);
  });

  it('never aborts without signals, and holds no timer', () => {
    const before = liveTimers();
    expect(anySignal([]).aborted).toBe(false);
    expect(liveTimers()).toBe(before);
  });
});

describe('within', () => {
  it('gives what the work settles with when it comes in time, and clears its timer', async () => {
    const before = liveTimers();
    await expect(within(Promise.resolve('done'), 60_000, () => 'late')).resolves.toBe('done');
    expect(liveTimers()).toBe(before);
  });

  it('gives the late value once the time has passed first', async () => {
    vi.useFakeTimers();
    const result = within(new Promise<string>(() => undefined), 1_000, () => 'late' as const);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toBe('late');
  });

  it('passes a rejection of the work on, and clears its timer', async () => {
    const before = liveTimers();
    await expect(within(Promise.reject(new Error('broke')), 60_000, () => 'late')).rejects.toThrow('broke');
    expect(liveTimers()).toBe(before);
  });
});
