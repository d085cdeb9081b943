import { describe, expect, it } from 'vitest';
import { breakerAt, CLOSED, halfOpensAt, onFlapping, onFoundDown, onHealFailed, onHealthy, type BreakerState } from '../../src/policy/breaker.js';

const settings = { failure_threshold: 3, success_threshold: 2, open_for: 60_000, max_open_for: 300_000 };
const T = 1_000_000;
const open = (openedAt: number, openForMs = 60_000): BreakerState => ({ state: 'open', openedAt, openForMs });
const halfOpen = (successes: number, openForMs = 60_000): BreakerState => ({ state: 'half_open', since: T, openForMs, successes });

describe('the circuit breaker', () => {
  it.each([
    ['closed + heal failed (1 of 3)', CLOSED, 'failed', T, { state: 'closed', failures: 1 }],
    ['closed + heal failed (3 of 3) opens', { state: 'closed', failures: 2 } as BreakerState, 'failed', T, open(T)],
    ['closed + healthy resets the count', { state: 'closed', failures: 2 } as BreakerState, 'healthy', T, CLOSED],
    ['open + heal failed before the wait ends stays open', open(T), 'failed', T + 1, open(T)],
    ['open + healthy is the first good scan of a trial', open(T), 'healthy', T + 1, { state: 'half_open', since: T + 1, openForMs: 60_000, successes: 1 }],
    ['half-open + heal failed opens again, the wait doubled', halfOpen(0), 'failed', T + 5, open(T + 5, 120_000)],
    ['half-open + heal failed never waits past max_open_for', halfOpen(0, 200_000), 'failed', T + 5, open(T + 5, 300_000)],
    ['half-open + healthy (1 of 2)', halfOpen(0), 'healthy', T + 5, halfOpen(1)],
    ['half-open + healthy (2 of 2) closes', halfOpen(1), 'healthy', T + 5, CLOSED],
    ['open past its wait + heal failed: a failed trial, the wait doubled', open(T), 'failed', T + 60_000, open(T + 60_000, 120_000)],
  ] as const)('%s', (_what, from, event, now, to) => {
    expect(event === 'failed' ? onHealFailed(from, settings, now) : onHealthy(from, settings, now)).toEqual(to);
  });

  describe('on probation (half-open) the service must stay up', () => {
    it.each([
      ['half-open, the trial not made yet: found down is what the trial is for', halfOpen(0), T + 5, halfOpen(0)],
      ['half-open after it came back: found down opens again, the wait doubled', halfOpen(1), T + 5, open(T + 5, 120_000)],
      ['never doubled past max_open_for', halfOpen(1, 200_000), T + 5, open(T + 5, 300_000)],
      ['open past its wait: half-open, the trial is next', open(T), T + 60_000, { state: 'half_open', since: T + 54_000, openForMs: 60_000, successes: 0 }],
      ['closed: found down changes nothing (the heal decides)', { state: 'closed', failures: 1 } as BreakerState, T, { state: 'closed', failures: 1 }],
      ['open: found down changes nothing', open(T), T + 1, open(T)],
    ] as const)('%s', (_what, from, now, to) => {
      expect(onFoundDown(from, settings, now)).toEqual(to);
    });
  });

  describe('a service that starts flapping', () => {
    it.each([
      ['closed: opens for open_for', { state: 'closed', failures: 1 } as BreakerState, T, open(T)],
      ['half-open: opens again, the wait doubled', halfOpen(1), T + 5, open(T + 5, 120_000)],
      ['open: stays as it is', open(T), T + 5, open(T)],
    ] as const)('%s', (_what, from, now, to) => {
      expect(onFlapping(from, settings, now)).toEqual(to);
    });

    it('stays on probation while it flaps, however many healthy scans, and closes once it is stable', () => {
      expect(onHealthy(halfOpen(5), settings, T + 5, true)).toEqual(halfOpen(6));
      expect(onHealthy(halfOpen(5), settings, T + 5, false)).toEqual(CLOSED);
    });
  });

  it('is half-open once the wait is over, less the schedule slack, and says when that is', () => {
    // The slack is a tenth of open_for, at most 10 s: 6 s of 60 s, as a cooldown's.
    expect(breakerAt(open(T), T + 53_999)).toEqual(open(T));
    expect(breakerAt(open(T), T + 54_000)).toEqual({ state: 'half_open', since: T + 54_000, openForMs: 60_000, successes: 0 });
    expect(halfOpensAt(open(T), T + 1)).toBe(T + 54_000);
    expect(halfOpensAt(open(T, 600_000), T + 1)).toBe(T + 590_000);
    expect(halfOpensAt(CLOSED, T)).toBeUndefined();
  });

  it('stamps a wait that begins in a scan at the scan\'s start, judging it at the scan\'s end', () => {
    const start = T + 60_000;
    // The trial began when the wait (from T) was over at the scan's end, though not yet at its start.
    expect(onHealFailed(open(T, 120_000), settings, start + 60_000, start)).toEqual(open(start, 240_000));
    expect(onHealFailed({ state: 'closed', failures: 2 }, settings, start + 12_000, start)).toEqual(open(start));
    expect(onFoundDown(halfOpen(1), settings, start + 3_000, start)).toEqual(open(start, 120_000));
    expect(onFlapping(CLOSED, settings, start + 3_000, start)).toEqual(open(start));
  });

  describe('opened "in the future" (the clock was set back): open for no longer than open_for from now', () => {
    const DAY = 86_400_000;
    it.each([
      ['a day ahead', T + DAY],
      ['a second ahead', T + 1_000],
    ])('opened %s: half-opens at most open_for (less its slack) later', (_what, openedAt) => {
      expect(halfOpensAt(open(openedAt), T)).toBe(T + 54_000);
      expect(breakerAt(open(openedAt), T)).toEqual(open(openedAt));
    });
  });
});
