import { describe, expect, it } from 'vitest';
import { aheadOf, elapsedSince, waitEndsAt, waitLeft, windowEndsAt } from '../../src/common/time.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('time measured across a clock set back', () => {
  it.each([
    ['a time in the past', NOW - 5 * MIN, 5 * MIN, 0],
    ['now', NOW, 0, 0],
    ['a time a day in the future', NOW + DAY, 0, DAY],
  ])('%s: elapsed %i, ahead %i', (_what, at, elapsed, ahead) => {
    expect(elapsedSince(at, NOW)).toBe(elapsed);
    expect(aheadOf(at, NOW)).toBe(ahead);
  });

  it.each([
    ['began 2m ago', NOW - 2 * MIN, NOW + 3 * MIN, 3 * MIN],
    ['began 10m ago: over', NOW - 10 * MIN, NOW - 5 * MIN, 0],
    ['began now', NOW, NOW + 5 * MIN, 5 * MIN],
    ['began a day in the future: starts again now, no longer than its length', NOW + DAY, NOW + 5 * MIN, 5 * MIN],
  ])('a 5m wait that %s ends at the right time', (_what, from, ends, left) => {
    expect(waitEndsAt(from, 5 * MIN, NOW)).toBe(ends);
    expect(waitLeft(from, 5 * MIN, NOW)).toBe(left);
  });

  it('treats a negative length as no wait', () => {
    expect(waitEndsAt(NOW - MIN, -10 * MIN, NOW)).toBe(NOW - MIN);
    expect(waitLeft(NOW + DAY, -10 * MIN, NOW)).toBe(0);
  });

  it.each([
    ['a 2h window set an hour ago', NOW - 60 * MIN, NOW + 60 * MIN, NOW + 60 * MIN],
    ['a 2h window set a day in the future', NOW + DAY, NOW + DAY + 120 * MIN, NOW + 120 * MIN],
    ['a window that ended', NOW - 3 * 60 * MIN, NOW - 60 * MIN, NOW - 60 * MIN],
  ])('%s ends no later than its own length from now', (_what, from, until, ends) => {
    expect(windowEndsAt(from, until, NOW)).toBe(ends);
  });
});
