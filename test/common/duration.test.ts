import { describe, expect, it } from 'vitest';
import { formatDuration, formatLatency, parseDuration } from '../../src/common/duration.js';

/** A small seeded generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` whole multiples of `step` in [min, max). */
function samples(seed: number, count: number, min: number, max: number, step: number): number[] {
  const next = rng(seed);
  const lo = Math.ceil(min / step);
  const hi = Math.ceil(max / step);
  const out = [lo * step, (hi - 1) * step];
  while (out.length < count) out.push((lo + Math.floor(next() * (hi - lo))) * step);
  return out;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['3s', 3 * SECOND],
    ['1.5s', 1_500],
    ['5m', 5 * MINUTE],
    ['1h', HOUR],
    ['1d', DAY],
    ['1m30s', 90 * SECOND],
    ['1h30m', 90 * MINUTE],
    ['2d12h', 60 * HOUR],
    ['1h30m15s', HOUR + 30 * MINUTE + 15 * SECOND],
    ['1m1.5s', 61_500],
    ['2s250ms', 2_250],
    [' 3s ', 3 * SECOND],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'nothing'],
    ['3', 'no unit'],
    ['3 s', 'a space inside'],
    ['30s1m', 'units smallest first'],
    ['1m1m', 'a unit twice'],
    ['1.5m30s', 'a fraction before the last part'],
    ['1w', 'an unknown unit'],
    ['-1s', 'a sign'],
    ['1m30', 'a number without its unit'],
  ])('refuses %j (%s)', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('every duration heal prints reads back as itself', () => {
  // formatDuration's precision changes with the size: ms under 1s, whole seconds under 1m,
  // m+s under 1h, h+m under 1d, d+h beyond. At each, a value it shows exactly must parse back.
  it.each([
    ['milliseconds (850ms)', 0, SECOND, 1],
    ['seconds (12s)', SECOND, MINUTE, SECOND],
    ['minutes and seconds (4m30s)', MINUTE, HOUR, SECOND],
    ['hours and minutes (2h5m)', HOUR, DAY, MINUTE],
    ['days and hours (3d4h)', DAY, 400 * DAY, HOUR],
  ])('formatDuration: %s', (_label, min, max, step) => {
    for (const ms of samples(min + step, 500, min, max, step)) {
      expect({ ms, back: parseDuration(formatDuration(ms)) }).toEqual({ ms, back: ms });
    }
  });

  it('formatLatency: tenths of a second under 10s (1.2s), and formatDuration elsewhere', () => {
    for (const ms of [...samples(7, 300, SECOND, 10 * SECOND, 100), ...samples(8, 200, 0, SECOND, 1), ...samples(9, 200, 10 * SECOND, HOUR, SECOND)]) {
      expect({ ms, back: parseDuration(formatLatency(ms)) }).toEqual({ ms, back: ms });
    }
  });

  it('a value between precisions reads back as what was shown, within half its step', () => {
    for (const ms of samples(11, 500, SECOND, 30 * DAY, 1)) {
      const shown = formatDuration(ms);
      const back = parseDuration(shown)!;
      const step = ms < MINUTE ? SECOND : ms < HOUR ? SECOND : ms < DAY ? MINUTE : HOUR;
      expect({ shown, withinStep: Math.abs(back - ms) <= step }).toEqual({ shown, withinStep: true });
    }
  });
});
